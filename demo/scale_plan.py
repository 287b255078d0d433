"""The benchmark organisation's activity planned in memory, one chunk of cohorts at a time: the
surveys, sparks and discussions of each cohort, as the app would have left them by `now`
(`demo.scale` writes them)."""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Model
from django.db.models.base import ModelState

from cohorts.models import Cohort
from cohorts.timeline import Anchor
from discussions.models import Post, PostKind, Reaction, ReactionKind, Thread
from discussions.rendering import post_html
from notifications.scheduling import DueStatus
from sparks.answering import MASTERY_CORRECT, MAX_ATTEMPTS, answered_well, repeat_wait
from sparks.models import (
    Delivery,
    DeliveryOutcome,
    DeliveryStep,
    Spark,
    SparkAnswer,
    SparkChoice,
    SparkKind,
    SparkThread,
)
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

# How a knowledge score moves: from the baseline up to right after, then decaying towards a floor
# that is higher for people who keep answering sparks (the curve "steadies where sparks were
# answered").
PRE_SCORE = 0.45
POST_SCORE = 0.85
FORGETTING_DAYS = 25.0
SPARKS = (  # kind, offset days after the last session, objective
    (SparkKind.KNOWLEDGE, 7, "Ask before telling"),
    (SparkKind.KNOWLEDGE, 14, "Specific, observable feedback"),
    (SparkKind.OPEN, 21, ""),
    (SparkKind.KNOWLEDGE, 28, "Agree one next step"),
    (SparkKind.KNOWLEDGE, 42, "Follow up within a week"),
    (SparkKind.OPEN, 56, ""),
)


KNOWLEDGE_OBJECTIVES = (
    "Ask before telling",
    "Specific, observable feedback",
    "Agree one next step",
)


# Knowledge check rounds: label, anchor, offset days, share of participants who answer.
KNOWLEDGE_ROUNDS = (
    ("Before the workshop", Anchor.BEFORE_FIRST, 7, 0.8),
    ("Right after", Anchor.AFTER_LAST, 0, 0.85),
    ("+30 days", Anchor.AFTER_LAST, 30, 0.65),
    ("+60 days", Anchor.AFTER_LAST, 60, 0.55),
    ("+90 days", Anchor.AFTER_LAST, 90, 0.5),
)


REACTION_RATE = 0.85
BEHAVIOUR_RATE = 0.55
ROUND_OPEN_DAYS = 7
REPLY_TEXTS = (
    "I tried this with my team on Monday and it went better than I expected.",
    "Same here. What helped me was writing the first sentence down beforehand.",
    "Good point. I would add: ask what they already tried.",
    "This is the part I still find hardest, honestly.",
    "Thanks for sharing, saving this for my next one-to-one.",
)


@dataclass
class CohortPlan:
    cohort: Cohort
    first: datetime
    last: datetime
    enrolled: datetime
    instructor_id: int | None
    participants: list[int]
    groups: dict[int, list[int]]
    engagement: dict[int, float]


@dataclass
class Chunk:
    """Everything one chunk writes, in insertion order."""

    surveys: list[Survey] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    rounds: list[Round] = field(default_factory=list)
    events: list[RoundEvent] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    # (answer, choice) pairs: the picked choice of a knowledge answer.
    picks: list[tuple[Answer, Choice]] = field(default_factory=list)
    sparks: list[Spark] = field(default_factory=list)
    spark_choices: list[SparkChoice] = field(default_factory=list)
    threads: list[Thread] = field(default_factory=list)
    spark_threads: list[SparkThread] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    comments: list[Post] = field(default_factory=list)
    # (delivery, post, answer): the answer row needs both pks, the post the delivery's for its key.
    spark_answers: list[tuple[Delivery, Post, SparkAnswer]] = field(default_factory=list)
    spark_picks: list[tuple[SparkAnswer, SparkChoice]] = field(default_factory=list)
    reactions: list[tuple[Post, Reaction]] = field(default_factory=list)


def _knowledge_chance(*, days_after: float, engagement: float) -> float:
    """The chance of a right answer `days_after` the workshop: falls, then steadies at a floor."""
    if days_after < 0:
        return PRE_SCORE
    floor = 0.5 + 0.25 * engagement
    return floor + (POST_SCORE - floor) * math.exp(-days_after / FORGETTING_DAYS)


def plan_cohort(
    chunk: Chunk, plan: CohortPlan, *, target: int, now: datetime, rng: random.Random
) -> None:
    before = _activity_count(chunk)
    _plan_surveys(chunk, plan, now=now, rng=rng)
    _plan_sparks(chunk, plan, now=now, rng=rng)
    # Discussions fill the cohort's share: how much people talk is what varies most in life.
    budget = target - (_activity_count(chunk) - before)
    _plan_discussions(chunk, plan, budget=max(budget, 0), now=now, rng=rng)


def _activity_count(chunk: Chunk) -> int:
    submitted = len(chunk.responses)
    return (
        len(chunk.posts)
        + len(chunk.comments)
        + len(chunk.reactions)
        + len(chunk.deliveries)
        + len(chunk.spark_answers)
        + submitted
    )


def _plan_surveys(chunk: Chunk, plan: CohortPlan, *, now: datetime, rng: random.Random) -> None:
    cohort, created = plan.cohort, plan.enrolled

    def survey(title: str, purpose: str) -> Survey:
        chunk.surveys.append(
            Survey(
                cohort=cohort,
                title=title,
                purpose=purpose,
                created_by_id=plan.instructor_id,
                created_at=created,
            )
        )
        return chunk.surveys[-1]

    def question(survey_: Survey, position: int, kind: str, text: str, **extra) -> Question:
        chunk.questions.append(
            Question(survey=survey_, position=position, kind=kind, text=text, **extra)
        )
        return chunk.questions[-1]

    reaction = survey("How was the workshop?", Purpose.REACTION)
    worth = question(reaction, 1, QuestionKind.LIKERT, "The workshop was worth my time.")
    relevant = question(reaction, 2, QuestionKind.LIKERT, "What I learned is relevant to my job.")
    nps = question(reaction, 3, QuestionKind.NPS, "How likely are you to recommend it?")

    knowledge = survey("Knowledge check", Purpose.KNOWLEDGE)
    checks: list[tuple[Question, Choice, list[Choice]]] = []
    for n, objective in enumerate(KNOWLEDGE_OBJECTIVES):
        q = question(knowledge, n + 1, QuestionKind.KNOWLEDGE, f"Which is best? ({objective})",
                     objective=objective)  # fmt: skip
        options = [
            Choice(question=q, position=k, text=f"Option {k + 1}", is_correct=k == 0)
            for k in range(4)
        ]
        chunk.choices += options
        checks.append((q, options[0], options[1:]))

    behaviour = survey("Have you applied it?", Purpose.BEHAVIOUR)
    applied = question(behaviour, 1, QuestionKind.SINGLE, "Have you applied it at work?")
    applied_options = [
        Choice(question=applied, position=k, text=text)
        for k, text in enumerate(("Yes, several times", "Yes, once", "Not yet"))
    ]
    chunk.choices += applied_options
    confident = question(behaviour, 2, QuestionKind.LIKERT, "I feel confident applying it.")

    def round_(survey_: Survey, label: str, anchor: str, offset: int) -> Round | None:
        if anchor == Anchor.BEFORE_FIRST:
            opens_at = plan.first - timedelta(days=offset)
        else:
            opens_at = plan.last + timedelta(days=offset, hours=1)
        closes_at = opens_at + timedelta(days=ROUND_OPEN_DAYS)
        if anchor == Anchor.BEFORE_FIRST:
            # The baseline is taken before anything is taught.
            closes_at = min(closes_at, plan.first)
        if opens_at > now:
            status = RoundStatus.SCHEDULED
        else:
            status = RoundStatus.CLOSED if closes_at <= now else RoundStatus.OPEN
        made = Round(survey=survey_, cohort=cohort, label=label, anchor=anchor,
                     offset_days=offset, opens_at=opens_at, closes_at=closes_at, status=status,
                     created_at=min(created, opens_at))  # fmt: skip
        chunk.rounds.append(made)
        steps = round_steps_plan(made)
        chunk.events += [
            RoundEvent(round=made, step=step, due_at=due_at,
                       status=DueStatus.DONE if due_at <= now else DueStatus.PENDING,
                       done_at=due_at if due_at <= now else None)
            for step, due_at in steps.items()
        ]  # fmt: skip
        return made if status != RoundStatus.SCHEDULED else None

    def respond(made: Round, person: int, answers: list[Answer], marks: list[bool]) -> None:
        """`marks`: whether each knowledge answer is right; the response's score is theirs
        (`response_score`, the rule a submitted form follows)."""
        latest = min(made.closes_at, now)
        at = made.opens_at + (latest - made.opens_at) * rng.random() ** 2
        score, max_score = response_score(marks)
        response = row(Response, round=made, participant_id=person, status=ResponseStatus.SUBMITTED,
                       started_at=at, updated_at=at, submitted_at=at, score=score,
                       max_score=max_score)  # fmt: skip
        chunk.responses.append(response)
        for answer in answers:
            answer.response = response
        chunk.answers += answers

    opened = round_(reaction, "Right after", Anchor.AFTER_LAST, 0)
    for person in plan.participants if opened else ():
        e = plan.engagement[person]
        if rng.random() < REACTION_RATE:
            high = 4 if e > 0.3 else 3
            answers = [
                row(Answer, question=worth, number=rng.randint(high - 1, 5)),
                row(Answer, question=relevant, number=rng.randint(high - 1, 5)),
                row(Answer, question=nps, number=min(10, max(0, round(rng.gauss(6 + 4 * e, 1.5))))),
            ]
            respond(opened, person, answers, [])

    for label, anchor, offset, rate in KNOWLEDGE_ROUNDS:
        opened = round_(knowledge, label, anchor, offset)
        for person in plan.participants if opened else ():
            e = plan.engagement[person]
            if rng.random() >= rate * (0.7 + 0.6 * e):
                continue
            days_after = (opened.opens_at - plan.last).total_seconds() / 86400
            chance = _knowledge_chance(days_after=days_after, engagement=e)
            answers, marks = [], []
            for q, right, wrong in checks:
                pick = right if rng.random() < chance else rng.choice(wrong)
                correct = answer_is_correct(picked=[pick], choices=[right, *wrong])
                marks.append(correct)
                answer = row(Answer, question=q, is_correct=correct)
                answers.append(answer)
                chunk.picks.append((answer, pick))
            respond(opened, person, answers, marks)

    opened = round_(behaviour, "Have you applied it?", Anchor.AFTER_LAST, 45)
    for person in plan.participants if opened else ():
        e = plan.engagement[person]
        if rng.random() < BEHAVIOUR_RATE * (0.6 + 0.8 * e):
            picked = applied_options[0 if e > 0.6 else 1 if e > 0.35 else 2]
            answer = row(Answer, question=applied)
            chunk.picks.append((answer, picked))
            confidence = row(Answer, question=confident, number=rng.randint(2, 5))
            respond(opened, person, [answer, confidence], [])


def _plan_sparks(chunk: Chunk, plan: CohortPlan, *, now: datetime, rng: random.Random) -> None:
    cohort = plan.cohort
    remind = timedelta(hours=settings.SPARK_REMIND_AFTER_HOURS)
    expire = timedelta(days=settings.SPARK_EXPIRE_AFTER_DAYS)
    for kind, offset, objective in SPARKS:
        spark = Spark(cohort=cohort, kind=kind, offset_days=offset, objective=objective,
                      question=f"Spark, day {offset}: " + (objective or "what did you try?"),
                      ask_confidence=kind == SparkKind.KNOWLEDGE,
                      created_by_id=plan.instructor_id, created_at=plan.enrolled)  # fmt: skip
        chunk.sparks.append(spark)
        options = []
        if kind == SparkKind.KNOWLEDGE:
            options = [
                SparkChoice(spark=spark, position=k, text=f"Choice {k + 1}", is_correct=k == 0)
                for k in range(3)
            ]
            chunk.spark_choices += options
        first_ask = plan.last + timedelta(days=offset)
        if first_ask > now:
            continue
        thread = row(Thread, cohort=cohort, author_id=plan.instructor_id, kind=PostKind.QUESTION,
                     title=spark.question, post_first=True, created_at=first_ask,
                     last_activity_at=first_ask)  # fmt: skip
        chunk.threads.append(thread)
        chunk.spark_threads.append(SparkThread(spark=spark, thread=thread))
        for person in plan.participants:
            e = plan.engagement[person]
            # Spread over the send window by participant, as sparks_plan does.
            sent_at = first_ask + timedelta(minutes=(person * 37) % 480)
            sure_right = 0
            for attempt in range(1, MAX_ATTEMPTS + 1):
                if sent_at > now or (kind == SparkKind.OPEN and attempt > 1):
                    break
                delivery = row(Delivery, spark=spark, participant_id=person, attempt=attempt,
                               due_at=sent_at, sent_at=sent_at, attempts=1)  # fmt: skip
                chunk.deliveries.append(delivery)
                answered_within = timedelta(hours=rng.uniform(0.2, 60))
                if rng.random() < 0.3 + 0.6 * e and sent_at + answered_within <= now:
                    at = sent_at + answered_within
                    delivery.step = DeliveryStep.REMIND if at < sent_at + remind else (
                        DeliveryStep.EXPIRE)  # fmt: skip
                    delivery.reminded_at = sent_at + remind if at >= sent_at + remind else None
                    delivery.outcome, delivery.closed_at = DeliveryOutcome.ANSWERED, at
                    delivery.status, delivery.done_at = DueStatus.DONE, at
                    days_after = (at - plan.last).total_seconds() / 86400
                    correct = None
                    confidence = None
                    if kind == SparkKind.KNOWLEDGE:
                        chance = _knowledge_chance(days_after=days_after, engagement=e)
                        correct = rng.random() < min(0.95, chance + 0.08 * (attempt - 1))
                        confidence = rng.choice((3, 4, 4)) if correct else rng.choice((1, 2, 3))
                    post = row(Post, thread=thread, author_id=person, kind=PostKind.REPLY,
                               body="**My answer:** " + ("Choice 1" if correct else "my take"),
                               created_at=at)  # fmt: skip
                    chunk.posts.append(post)
                    answer = row(SparkAnswer, delivery=delivery, is_correct=correct,
                                 confidence=confidence, created_at=at)  # fmt: skip
                    chunk.spark_answers.append((delivery, post, answer))
                    if options:
                        chunk.spark_picks.append(
                            (answer, options[0] if correct else rng.choice(options[1:]))
                        )
                    well = answered_well(correct=correct, confidence=confidence)
                    sure_right += well
                    if sure_right >= MASTERY_CORRECT:
                        break
                    sent_at = at + repeat_wait(well=well)
                elif sent_at + expire <= now:
                    delivery.step, delivery.reminded_at = DeliveryStep.EXPIRE, sent_at + remind
                    delivery.outcome, delivery.closed_at = DeliveryOutcome.MISSED, sent_at + expire
                    delivery.status, delivery.done_at = DueStatus.DONE, sent_at + expire
                    sent_at = sent_at + expire + repeat_wait(well=False)
                else:
                    # Still waiting for an answer: reminded if that came due, expiring later.
                    if sent_at + remind <= now:
                        delivery.step, delivery.reminded_at = DeliveryStep.EXPIRE, sent_at + remind
                        delivery.due_at = sent_at + expire
                    else:
                        delivery.step, delivery.due_at = DeliveryStep.REMIND, sent_at + remind
                    break


def _plan_discussions(
    chunk: Chunk, plan: CohortPlan, *, budget: int, now: datetime, rng: random.Random
) -> None:
    """Threads in the cohort's space and its study groups, replies, comments and reactions:
    about 55% posts and 45% reactions of `budget` records."""
    start = plan.enrolled + timedelta(hours=1)
    if start >= now or not plan.participants or budget <= 0:
        return
    # Most talk happens in the weeks around the workshop, then it thins out.
    end = min(now, plan.last + timedelta(days=120))
    if end <= start:
        end = now
    post_budget = round(budget * 0.55)
    reaction_budget = budget - post_budget
    thread_count = max(1, post_budget // 6)
    spaces: list[tuple[int | None, list[int]]] = [(None, plan.participants)]
    spaces += list(plan.groups.items())
    staff = [plan.instructor_id] if plan.instructor_id else []
    threads: list[tuple[Thread, list[int], list[Post]]] = []
    for _ in range(thread_count):
        # Two in five threads are in a study group once groups exist: collaboration and sharing.
        if len(spaces) > 1 and rng.random() < 0.4:
            group_id, people = rng.choice(spaces[1:])
        else:
            group_id, people = spaces[0]
        kind = rng.choice((PostKind.ARTICLE, PostKind.QUESTION, PostKind.DISCUSSION))
        opened = start + (end - start) * rng.random() ** 1.5
        author = rng.choice(people + staff)
        url = "https://example.org/article" if kind == PostKind.ARTICLE else ""
        thread = row(Thread, cohort=plan.cohort, study_group_id=group_id, author_id=author,
                     kind=kind, title=f"What I tried: {rng.choice(KNOWLEDGE_OBJECTIVES).lower()}",
                     created_at=opened, last_activity_at=opened, url=url)  # fmt: skip
        opening = row(Post, thread=thread, author_id=author, kind=kind, is_opening=True,
                      body="Here is what I found, and my question to you all.",
                      created_at=opened)  # fmt: skip
        chunk.threads.append(thread)
        chunk.posts.append(opening)
        threads.append((thread, people + staff, [opening]))
    remaining = post_budget - thread_count
    # A few threads draw most replies.
    popularity = [rng.random() ** 3 for _ in threads]
    for n in range(max(remaining, 0)):
        thread, people, posts = rng.choices(threads, weights=popularity)[0]
        at = min(now, posts[-1].created_at + timedelta(hours=rng.uniform(0.5, 48)))
        is_comment = n % 5 == 4 and len(posts) > 1
        post = row(Post, thread=thread, author_id=rng.choice(people),
                   kind=PostKind.COMMENT if is_comment else PostKind.REPLY,
                   body=rng.choice(REPLY_TEXTS), created_at=at,
                   parent=rng.choice(posts[1:]) if is_comment else None)  # fmt: skip
        (chunk.comments if is_comment else chunk.posts).append(post)
        if not is_comment:
            posts.append(post)
    seen: set[tuple[int, int, str]] = set()
    kinds = (ReactionKind.LIKE, ReactionKind.LEARNED, ReactionKind.USEFUL)
    for _ in range(reaction_budget):
        n = rng.choices(range(len(threads)), weights=popularity)[0]
        thread, people, posts = threads[n]
        k = rng.randrange(len(posts))
        user, kind = rng.choice(people), rng.choice(kinds)
        if (id(posts[k]), user, kind) in seen:
            # One reaction of a kind per person and post; a duplicate draw is simply skipped.
            continue
        seen.add((id(posts[k]), user, kind))
        at = min(now, posts[k].created_at + timedelta(hours=rng.uniform(0.1, 72)))
        chunk.reactions.append((posts[k], row(Reaction, post=posts[k], user_id=user, kind=kind,
                                              created_at=at)))  # fmt: skip


def row[M: Model](model: type[M], **values) -> M:
    """An unsaved instance of `model`, as `model(**values)` builds it, for the millions of rows
    the plan makes: without `Model.__init__`'s signals and per-field descriptors, which cost a
    third of the planning. `values` are attnames, or a relation's name with its object."""
    names, defaults, dynamic, dynamic_names = _row_fields(model)
    made = model.__new__(model)
    made._state = ModelState()
    own = made.__dict__
    own.update(defaults)
    for attname, made_by in dynamic:
        if attname not in values:
            own[attname] = made_by.get_default()
    for name, value in values.items():
        attname = names.get(name)
        if attname is None:
            if name not in defaults and name not in dynamic_names:
                raise TypeError(f"{model.__name__} has no field {name}")
            own[name] = value
        else:
            made._state.fields_cache[name] = value
            own[attname] = None if value is None else value.pk
    return made


@functools.cache
def _row_fields(model: type[Model]) -> tuple[dict, dict, list, set]:
    """The relations' names to attnames, the fields' constant defaults, the fields whose default
    is computed (`clock.now`)."""
    fields = model._meta.concrete_fields
    names = {f.name: f.attname for f in fields if f.is_relation}
    dynamic = [(f.attname, f) for f in fields if f.has_default() and callable(f.default)]
    computed = {attname for attname, _ in dynamic}
    defaults = {f.attname: f.get_default() for f in fields if f.attname not in computed}
    return names, defaults, dynamic, computed


@functools.lru_cache(maxsize=256)
def seed_html(body: str) -> str:
    """`post_html`, once per distinct text: the seed draws its texts from short lists."""
    return post_html(body)
