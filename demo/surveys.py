"""Surveys for the demo and benchmark organisations: definitions, rounds and responses as rows.

Rounds are written already opened or closed, with their past steps marked done, so seeding sends
no mail; only steps still ahead (a reminder, a close) run later through the dispatcher.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db.models import QuerySet

from accounts.models import User
from cohorts.models import Cohort, CohortRole, Enrolment
from cohorts.timeline import Anchor
from demo.scale_copy import rows_insert
from notifications.scheduling import DueStatus
from surveys.answering import answer_is_correct, response_score
from surveys.models import (
    Answer,
    Choice,
    Purpose,
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
    Round,
    RoundEvent,
    RoundStatus,
    Survey,
)
from surveys.rounds import round_steps_plan

BATCH_SIZE = 5000
BENCH_SURVEY_RESPONSES = 5000
BENCH_SURVEY_QUESTIONS = 20

REACTION_COMMENTS = (
    "The role plays were the most useful part: I used the opening line on Monday.",
    "More time for practice, less theory, please.",
    "Great facilitator. The room was too warm in the afternoon.",
    "I finally understand why our stand-ups feel pointless.",
    "Would have liked examples from teams outside the office.",
    "Very practical. The checklist is already on my desk.",
    "A bit rushed at the end; the last exercise deserved more time.",
    "Hearing how other managers handle this was worth the day on its own.",
)

# (objective, question, choices with the correct ones marked, explanation)
COACHING_QUESTIONS = (
    (
        "GROW stages",
        "What do the letters of GROW stand for?",
        [("Goal, Reality, Options, Will", True), ("Goal, Results, Outcomes, Work", False),
         ("Growth, Reflection, Ownership, Wins", False)],
        "Goal, Reality, Options, Will (or Way forward): the coachee walks the four in order.",
    ),
    (
        "Open questions",
        "Which of these are open questions?",
        [("What would success look like?", True), ("Did you talk to her?", False),
         ("What else could you try?", True), ("Is that the only option?", False)],
        "Open questions cannot be answered with yes or no; they invite the coachee to think.",
    ),
    (
        "Who owns the solution",
        "In a coaching conversation, who should propose the options?",
        [("Mostly the coachee", True), ("Mostly the coach", False), ("Both equally", False)],
        "The coachee owns the solution; the coach's questions widen the options they see.",
    ),
    (
        "Closing with Will",
        "What should the Will stage end with?",
        [("A concrete next step and when it will happen", True),
         ("A summary by the coach", False), ("A rating of the conversation", False)],
        "Will turns options into a commitment: what, by when, and how you will know.",
    ),
    (
        "Listening levels",
        "Which listening level focuses fully on the other person's words and feelings?",
        [("Level 2, focused listening", True), ("Level 1, internal listening", False),
         ("Level 0, not listening", False)],
        "Level 2 listening puts your own story aside; level 3 adds the room and the energy.",
    ),
)  # fmt: skip
# Chance of a correct answer per objective at each round: high after class, a fall by +30 days,
# then a plateau; objectives that were practised in class hold up better than facts about models.
COACHING_ROUNDS = (
    # label, anchor, offset, open for days, response rate
    ("Before the workshop", Anchor.BEFORE_FIRST, 1, 1, 0.9),
    ("Right after", Anchor.AFTER_LAST, 0, 7, 0.95),
    ("+30 days", Anchor.AFTER_LAST, 30, 14, 0.8),
    ("+60 days", Anchor.AFTER_LAST, 60, 14, 0.6),
)
COACHING_RETENTION = {
    "GROW stages": (0.45, 0.95, 0.85, 0.83),
    "Open questions": (0.55, 0.9, 0.8, 0.78),
    "Who owns the solution": (0.35, 0.9, 0.7, 0.68),
    "Closing with Will": (0.3, 0.9, 0.55, 0.5),
    "Listening levels": (0.2, 0.85, 0.45, 0.4),
}


def _survey_create(
    *, cohort: Cohort, title: str, purpose: str, created_by: User | None, now: datetime, **extra
) -> Survey:
    return Survey.objects.create(
        cohort=cohort,
        title=title,
        purpose=purpose,
        created_by=created_by,
        created_at=now,
        **extra,
    )


def _reaction_survey_create(*, cohort: Cohort, created_by: User | None, now: datetime) -> Survey:
    survey = _survey_create(
        cohort=cohort,
        title="How was the workshop?",
        purpose=Purpose.REACTION,
        created_by=created_by,
        now=now,
        intro="Three minutes, and it helps us make the next workshop better.",
    )
    Question.objects.bulk_create(
        [
            Question(survey=survey, position=1, kind=QuestionKind.LIKERT,
                     text="The workshop was worth my time."),
            Question(survey=survey, position=2, kind=QuestionKind.LIKERT,
                     text="What I learned is relevant to my job."),
            Question(survey=survey, position=3, kind=QuestionKind.NPS,
                     text="How likely are you to recommend this workshop to a colleague?"),
            Question(survey=survey, position=4, kind=QuestionKind.TEXT, required=False,
                     text="What should we keep or change?"),
        ]
    )  # fmt: skip
    return survey


def _knowledge_survey_create(*, cohort: Cohort, created_by: User | None, now: datetime) -> Survey:
    survey = _survey_create(
        cohort=cohort,
        title="Coaching knowledge check",
        purpose=Purpose.KNOWLEDGE,
        created_by=created_by,
        now=now,
        intro="Five questions. Not a test of you: it shows us what sticks and what to revisit.",
    )
    questions = Question.objects.bulk_create(
        Question(
            survey=survey,
            position=n,
            kind=QuestionKind.KNOWLEDGE,
            text=text,
            objective=objective,
            explanation=explanation,
            multiple_correct=sum(correct for _, correct in choices) > 1,
        )
        for n, (objective, text, choices, explanation) in enumerate(COACHING_QUESTIONS, 1)
    )
    Choice.objects.bulk_create(
        Choice(question=question, position=n, text=text, is_correct=correct)
        for question, (_, _, choices, _) in zip(questions, COACHING_QUESTIONS, strict=True)
        for n, (text, correct) in enumerate(choices)
    )
    return survey


def _round_create(
    *, survey: Survey, label: str, anchor: str, offset_days: int, opens_at: datetime,
    closes_at: datetime, now: datetime,
) -> Round:  # fmt: skip
    """A round as the dispatcher would have left it by `now`: steps before `now` are done."""
    status = RoundStatus.CLOSED if closes_at <= now else RoundStatus.OPEN
    round_ = Round.objects.create(
        survey=survey,
        cohort=survey.cohort,
        label=label,
        anchor=anchor,
        offset_days=offset_days,
        opens_at=opens_at,
        closes_at=closes_at,
        status=status,
        created_at=opens_at - timedelta(days=7),
    )
    steps = round_steps_plan(round_)
    RoundEvent.objects.bulk_create(
        RoundEvent(
            round=round_,
            step=step,
            due_at=due_at,
            status=DueStatus.DONE if due_at <= now else DueStatus.PENDING,
        )
        for step, due_at in steps.items()
    )
    return round_


class _Responses:
    """Collects responses, answers and picked choices, then writes them in a few bulk inserts."""

    def __init__(self) -> None:
        self.responses: list[Response] = []
        self.answers: list[list[Answer]] = []
        self.picks: list[list[tuple[int, list[int]]]] = []

    def add(self, response: Response, answers: list[tuple[Answer, list[int]]]) -> None:
        self.responses.append(response)
        self.answers.append([a for a, _ in answers])
        self.picks.append([(n, ids) for n, (_, ids) in enumerate(answers) if ids])

    def save(self) -> int:
        rows_insert(Response, self.responses, batch_size=BATCH_SIZE)
        flat: list[Answer] = []
        for response, answers in zip(self.responses, self.answers, strict=True):
            for answer in answers:
                answer.response = response
            flat += answers
        rows_insert(Answer, flat, batch_size=BATCH_SIZE)
        through = Answer.choices.through
        links = [
            through(answer_id=answers[n].pk, choice_id=choice_id)
            for answers, picks in zip(self.answers, self.picks, strict=True)
            for n, ids in picks
            for choice_id in ids
        ]
        rows_insert(through, links, batch_size=BATCH_SIZE)
        return len(self.responses)


def _submitted_at(rng: random.Random, opens_at: datetime, closes_at: datetime, now: datetime):
    # Most people answer in the first days after the email; nobody answers in the future.
    latest = min(closes_at, now) - timedelta(minutes=5)
    span = max((latest - opens_at).total_seconds(), 60)
    return opens_at + timedelta(seconds=span * rng.random() ** 2)


def _reaction_answers(rng: random.Random, questions: list[Question], *, mood: float):
    answers = []
    for question in questions:
        if question.kind == QuestionKind.LIKERT:
            number = min(5, max(1, round(rng.gauss(3.4 + mood, 0.8))))
            answers.append((Answer(question=question, number=number), []))
        elif question.kind == QuestionKind.NPS:
            number = min(10, max(0, round(rng.gauss(6.8 + 2 * mood, 1.6))))
            answers.append((Answer(question=question, number=number), []))
        elif rng.random() < 0.45:
            answers.append((Answer(question=question, text=rng.choice(REACTION_COMMENTS)), []))
    return answers


def _knowledge_answers(
    rng: random.Random, questions: list[Question], chance: dict[str, float]
) -> list[tuple[Answer, list[int]]]:
    """Each question answered, right by the objective's chance; marked by the survey's one rule
    (`answer_is_correct`), as a submitted form is."""
    answers = []
    for question in questions:
        choices = list(question.choices.all())
        right = [c for c in choices if c.is_correct]
        if rng.random() < chance[question.objective]:
            picked = right
        else:
            wrong = [c for c in choices if not c.is_correct]
            picked = [rng.choice(wrong)] if len(right) == 1 else [*right[:1], rng.choice(wrong)]
        is_correct = answer_is_correct(picked=picked, choices=choices)
        confidence = rng.choice((3, 4)) if is_correct else rng.choice((1, 2, 3))
        answer = Answer(question=question, is_correct=is_correct, confidence=confidence)
        answers.append((answer, [c.pk for c in picked]))
    return answers


def _scored(answers: list[tuple[Answer, list[int]]]) -> dict:
    """A response's `score` and `max_score` from its knowledge answers' marks (`response_score`)."""
    marks = [a.is_correct for a, _ in answers if a.question.kind == QuestionKind.KNOWLEDGE]
    score, max_score = response_score(marks)
    return {"score": score, "max_score": max_score}


def participants_of(cohort: Cohort) -> list[User]:
    return [
        e.user
        for e in Enrolment.objects.filter(cohort=cohort, role=CohortRole.PARTICIPANT)
        .select_related("user")
        .order_by("user__email")
    ]


def demo_surveys_create(
    *,
    cohorts: dict[str, Cohort],
    participant: User,
    instructor: User,
    rng: random.Random,
    now: datetime,
) -> dict[str, int]:
    """Reaction surveys after the two past workshops (the recent one still open, waiting for
    participant@demo.test), and a knowledge check pre / post / +30 / +60 for coaching."""
    batch = _Responses()
    rounds = 0
    for name, mood in (("Leading hybrid teams", 0.4), ("Coaching conversations", 0.7)):
        cohort = cohorts[name]
        survey = _reaction_survey_create(cohort=cohort, created_by=instructor, now=now)
        last_end = max(s.ends_at for s in cohort.sessions.all())
        round_ = _round_create(
            survey=survey,
            label="Right after",
            anchor=Anchor.AFTER_LAST,
            offset_days=0,
            opens_at=last_end,
            closes_at=last_end + timedelta(days=14),
            now=now,
        )
        rounds += 1
        questions = list(survey.questions.all())
        people = [p for p in participants_of(cohort) if p.pk != participant.pk]
        # Two days in, about two thirds have answered the open round; the closed one got 85 %.
        rate = 0.65 if round_.status == RoundStatus.OPEN else 0.85
        for person in people:
            if rng.random() >= rate:
                continue
            at = _submitted_at(rng, round_.opens_at, round_.closes_at, now)
            response = Response(round=round_, participant=person, status=ResponseStatus.SUBMITTED,
                                started_at=at - timedelta(minutes=4), updated_at=at,
                                submitted_at=at)  # fmt: skip
            batch.add(response, _reaction_answers(rng, questions, mood=mood))

    coaching = cohorts["Coaching conversations"]
    survey = _knowledge_survey_create(cohort=coaching, created_by=instructor, now=now)
    questions = list(survey.questions.prefetch_related("choices"))
    first_start = min(s.starts_at for s in coaching.sessions.all())
    last_end = max(s.ends_at for s in coaching.sessions.all())
    people = participants_of(coaching)
    for index, (label, anchor, offset, open_days, rate) in enumerate(COACHING_ROUNDS):
        base = first_start - timedelta(days=offset) if anchor == Anchor.BEFORE_FIRST else last_end
        opens_at = base if anchor == Anchor.BEFORE_FIRST else base + timedelta(days=offset)
        closes_at = (
            first_start if anchor == Anchor.BEFORE_FIRST else opens_at + timedelta(open_days)
        )
        if anchor == Anchor.AFTER_LAST and offset >= 60:
            # The +60 round opened this morning: answers are still coming in.
            opens_at = now - timedelta(hours=6)
            closes_at = opens_at + timedelta(days=open_days)
        round_ = _round_create(
            survey=survey,
            label=label,
            anchor=anchor,
            offset_days=offset,
            opens_at=opens_at,
            closes_at=closes_at,
            now=now,
        )
        rounds += 1
        chance = {objective: odds[index] for objective, odds in COACHING_RETENTION.items()}
        for person in people:
            if rng.random() >= rate:
                continue
            at = _submitted_at(rng, opens_at, closes_at, now)
            answers = _knowledge_answers(rng, questions, chance)
            response = Response(round=round_, participant=person, status=ResponseStatus.SUBMITTED,
                                started_at=at - timedelta(minutes=6), updated_at=at,
                                submitted_at=at, **_scored(answers))  # fmt: skip
            batch.add(response, answers)
    return {"survey rounds": rounds, "survey responses": batch.save()}


def bench_survey_create(
    *, organization_people: QuerySet[User], cohort: Cohort, rng: random.Random, now: datetime
) -> Round:
    """One closed knowledge round of BENCH_SURVEY_QUESTIONS questions answered by up to
    BENCH_SURVEY_RESPONSES people of `cohort` (mixed kinds, so every aggregate is exercised)."""
    survey = _survey_create(
        cohort=cohort, title="Annual refresher", purpose=Purpose.KNOWLEDGE, created_by=None, now=now
    )
    kinds = [QuestionKind.KNOWLEDGE, QuestionKind.LIKERT, QuestionKind.SINGLE, QuestionKind.NPS]
    kinds += [QuestionKind.MULTIPLE, QuestionKind.TEXT]
    questions = Question.objects.bulk_create(
        Question(
            survey=survey,
            position=n,
            kind=kinds[n % len(kinds)],
            text=f"Question {n + 1}",
            objective=f"Objective {n % 5 + 1}",
            required=False,
        )
        for n in range(BENCH_SURVEY_QUESTIONS)
    )
    Choice.objects.bulk_create(
        Choice(question=q, position=n, text=f"Option {n + 1}", is_correct=n == 0)
        for q in questions
        if q.has_choices
        for n in range(4)
    )
    questions = list(survey.questions.prefetch_related("choices"))
    opens_at = now - timedelta(days=20)
    round_ = _round_create(
        survey=survey,
        label="Right after",
        anchor=Anchor.AT,
        offset_days=0,
        opens_at=opens_at,
        closes_at=opens_at + timedelta(days=14),
        now=now,
    )
    people = list(organization_people.order_by("pk")[:BENCH_SURVEY_RESPONSES])
    Enrolment.objects.bulk_create(
        [Enrolment(cohort=cohort, user=person) for person in people], batch_size=BATCH_SIZE
    )
    batch = _Responses()
    for person in people:
        answers = []
        for question in questions:
            choices = list(question.choices.all())
            choice_ids = [c.pk for c in choices]
            if question.kind == QuestionKind.KNOWLEDGE:
                pick = rng.choice(choices)
                is_correct = answer_is_correct(picked=[pick], choices=choices)
                answers.append((Answer(question=question, is_correct=is_correct), [pick.pk]))
            elif question.has_choices:
                answers.append(
                    (
                        Answer(question=question),
                        rng.sample(
                            choice_ids, 1 + (question.allows_several and rng.random() < 0.5)
                        ),
                    )
                )
            elif question.scale is not None:
                answers.append((Answer(question=question, number=rng.choice(question.scale)), []))
            else:
                answers.append((Answer(question=question, text=rng.choice(REACTION_COMMENTS)), []))
        at = _submitted_at(rng, opens_at, round_.closes_at, now)
        batch.add(
            Response(round=round_, participant=person, status=ResponseStatus.SUBMITTED,
                     started_at=at, updated_at=at, submitted_at=at, **_scored(answers)),
            answers,
        )  # fmt: skip
    batch.save()
    return round_
