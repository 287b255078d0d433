"""What a round's and a cohort's answers add up to, aggregated in the database.

Every function here costs a fixed number of queries whatever the number of responses or questions:
counts are grouped in SQL and only the totals (and a capped list of free-text answers) come back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber

from cohorts.models import Cohort, CohortRole, Enrolment
from surveys.models import (
    Answer,
    Purpose,
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
    Round,
    RoundStatus,
)

# Instructors and managers see an anonymous survey's totals only from this many responses: fewer
# would let them guess who answered what.
ANONYMOUS_MINIMUM = 5
# Free-text answers listed per question on the page; the CSV has them all.
TEXTS_SHOWN = 50
NPS_PROMOTER, NPS_DETRACTOR = 9, 6
# How long a round's computed question results are kept. They are keyed by the round's submitted
# responses (how many, the latest), so a new submission is never missed; this only bounds memory.
RESULTS_CACHE_SECONDS = 24 * 60 * 60


def percent(part: int | float, whole: int | float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    # Likert and NPS: (point, count, percent of answers) for every point of the scale.
    distribution: list[tuple[int, int, float | None]] = field(default_factory=list)
    mean: float | None = None
    nps: int | None = None
    # Choice questions: (choice, count, percent of submitted responses).
    choices: list[tuple] = field(default_factory=list)
    correct: int = 0
    correct_percent: float | None = None
    # Free text: (name or None, text), newest first, at most TEXTS_SHOWN.
    texts: list[tuple[str | None, str]] = field(default_factory=list)
    text_count: int = 0


@dataclass
class RoundResults:
    round: Round
    participants: int
    submitted: int
    # Invited by email, not joined yet and without an answer: shown apart, not in the rate.
    not_joined: int = 0
    hidden: bool = False
    average_score_percent: float | None = None
    questions: list[QuestionResult] = field(default_factory=list)

    @property
    def response_rate(self) -> float | None:
        return percent(self.submitted, self.participants)


@dataclass(frozen=True)
class KnowledgeScore:
    """A round's submitted responses and the points they scored, as anyone may see them: an
    anonymous round with fewer than ANONYMOUS_MINIMUM responses is `hidden` and its score counts
    nowhere (its results page, the cohort's retention, the dashboards and the rollups alike)."""

    round_id: int
    cohort_id: int
    label: str
    opens_at: datetime
    submitted: int
    points: int
    possible: int
    anonymous: bool

    @property
    def hidden(self) -> bool:
        return self.anonymous and self.submitted < ANONYMOUS_MINIMUM

    @property
    def percent(self) -> float | None:
        return None if self.hidden else percent(self.points, self.possible)


def knowledge_scores(rounds: QuerySet[Round] | list[Round]) -> list[KnowledgeScore]:
    """The score of each of `rounds` with a submitted response, in the order they opened: one
    grouped query, whatever the number of rounds and responses."""
    rows = (
        Response.objects.filter(round__in=rounds, status=ResponseStatus.SUBMITTED)
        .values(
            "round_id",
            "round__cohort_id",
            "round__label",
            "round__opens_at",
            "round__survey__anonymous",
        )
        .annotate(n=Count("pk"), points=Sum("score"), possible=Sum("max_score"))
        .order_by("round__opens_at", "round_id")
    )
    return [
        KnowledgeScore(
            round_id=row["round_id"],
            cohort_id=row["round__cohort_id"],
            label=row["round__label"],
            opens_at=row["round__opens_at"],
            submitted=row["n"],
            points=row["points"] or 0,
            possible=row["possible"] or 0,
            anonymous=row["round__survey__anonymous"],
        )
        for row in rows
    ]


def submitted_answers(round_: Round) -> QuerySet[Answer]:
    return Answer.objects.filter(response__round=round_, response__status=ResponseStatus.SUBMITTED)


def participant_counts(round_: Round) -> tuple[int, int]:
    """(participants the response rate counts, those invited who have not joined yet), in one
    query. Someone who answered from the email's link before joining counts as a participant."""
    enrolments = Enrolment.objects.filter(
        cohort_id=round_.cohort_id, role=CohortRole.PARTICIPANT, user__is_active=True
    )
    waiting = enrolments.awaiting_invitation().exclude(
        Exists(
            Response.objects.filter(
                round=round_, participant_id=OuterRef("user_id"), status=ResponseStatus.SUBMITTED
            )
        )
    )
    counts = enrolments.aggregate(
        total=Count("pk"), waiting=Count("pk", filter=Q(pk__in=waiting.values("pk")))
    )
    return counts["total"] - counts["waiting"], counts["waiting"]


def round_results(round_: Round) -> RoundResults:
    """Response rate, NPS, distributions, choice counts, correctness, scores and free text.

    The per-question results are computed once per state of the round's submissions (a submitted
    response is final, and questions cannot change once answered), then read from the cache
    until the next submission: on a round of 5,000 responses they are four passes over its
    answers, while the page is read far more often than the round changes.
    """
    totals = Response.objects.filter(round=round_, status=ResponseStatus.SUBMITTED).aggregate(
        n=Count("pk"), score=Sum("score"), max_score=Sum("max_score"), latest=Max("submitted_at")
    )
    score = KnowledgeScore(
        round_id=round_.pk,
        cohort_id=round_.cohort_id,
        label=round_.label,
        opens_at=round_.opens_at,
        submitted=totals["n"],
        points=totals["score"] or 0,
        possible=totals["max_score"] or 0,
        anonymous=round_.survey.anonymous,
    )
    participants, not_joined = participant_counts(round_)
    results = RoundResults(
        round=round_,
        participants=participants,
        not_joined=not_joined,
        submitted=score.submitted,
        average_score_percent=score.percent,
    )
    if score.hidden:
        results.hidden = True
        return results
    latest = totals["latest"].isoformat() if totals["latest"] else ""
    key = f"surveys:round-results:{round_.pk}:{round_.survey.anonymous}:{totals['n']}:{latest}"
    questions = cache.get(key) if totals["n"] else None
    if questions is None:
        questions = question_results(round_, submitted=results.submitted)
        if totals["n"]:
            cache.set(key, questions, RESULTS_CACHE_SECONDS)
    results.questions = questions
    return results


def question_results(round_: Round, *, submitted: int) -> list[QuestionResult]:
    """Each question's results over the round's `submitted` responses, in four queries."""
    by_question = {
        q.pk: QuestionResult(question=q)
        for q in round_.survey.questions.prefetch_related("choices")
    }
    answers = submitted_answers(round_)
    # One pass for the scales' points and the knowledge questions' right answers.
    numbers: dict[int, dict[int, int]] = defaultdict(dict)
    correct: dict[int, int] = defaultdict(int)
    for row in (
        answers.values("question_id", "number")
        .annotate(n=Count("pk"), right=Count("pk", filter=Q(is_correct=True)))
        .order_by()
    ):
        if row["number"] is not None:
            numbers[row["question_id"]][row["number"]] = row["n"]
        correct[row["question_id"]] += row["right"]
    picked = dict(
        Answer.choices.through.objects.filter(
            answer__response__round=round_, answer__response__status=ResponseStatus.SUBMITTED
        )
        .values("choice_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("choice_id", "n")
    )
    for result in by_question.values():
        question = result.question
        if question.scale is not None:
            counts = numbers.get(question.pk, {})
            result.answered = sum(counts.values())
            result.distribution = [
                (point, counts.get(point, 0), percent(counts.get(point, 0), result.answered))
                for point in question.scale
            ]
            if result.answered:
                total = sum(point * n for point, n in counts.items())
                result.mean = round(total / result.answered, 2)
            if question.kind == QuestionKind.NPS and result.answered:
                promoters = sum(n for p, n in counts.items() if p >= NPS_PROMOTER)
                detractors = sum(n for p, n in counts.items() if p <= NPS_DETRACTOR)
                result.nps = round(100 * (promoters - detractors) / result.answered)
        elif question.has_choices:
            result.choices = [
                (c, picked.get(c.pk, 0), percent(picked.get(c.pk, 0), submitted))
                for c in question.choices.all()
            ]
            result.answered = submitted
        if question.kind == QuestionKind.KNOWLEDGE:
            result.correct = correct.get(question.pk, 0)
            result.correct_percent = percent(result.correct, submitted)
    anonymous = round_.survey.anonymous
    for row in _latest_texts(answers):
        result = by_question[row["question_id"]]
        result.text_count = row["total"]
        name = None if anonymous else (row["display_name"] or row["email"].split("@")[0])
        result.texts.append((name, row["text"]))
    if anonymous:
        # Newest first would let a reader match a comment to the person who just answered.
        for result in by_question.values():
            result.texts.sort(key=lambda item: item[1].lower())
    return list(by_question.values())


def _latest_texts(answers: QuerySet[Answer]) -> QuerySet:
    """Each free-text question's newest TEXTS_SHOWN answers and its total, in one query."""
    partition = [F("question_id")]
    return (
        answers.filter(question__kind=QuestionKind.TEXT)
        .exclude(text="")
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=partition,
                order_by=[F("response__submitted_at").desc(), F("pk").desc()],
            ),
            total=Window(Count("pk"), partition_by=partition),
            display_name=F("response__participant__display_name"),
            email=F("response__participant__email"),
        )
        .filter(rank__lte=TEXTS_SHOWN)
        .values("question_id", "text", "total", "display_name", "email")
        .order_by("question_id", "rank")
    )


@dataclass
class RetentionRow:
    """One learning objective (or question, without one) across the cohort's knowledge rounds."""

    label: str
    # Percent correct per round, in the rounds' order; None where the round did not ask it.
    percents: list[float | None]

    @property
    def drop(self) -> float:
        """How far it fell from its best round to the latest: what is forgotten first."""
        asked = [p for p in self.percents if p is not None]
        return max(asked) - asked[-1] if asked else 0.0


@dataclass
class RoundScore:
    round: Round
    submitted: int
    average_percent: float | None
    hidden: bool


def cohort_retention(cohort: Cohort) -> tuple[list[RoundScore], list[RetentionRow]]:
    """Every opened round with its responses and average score, in time order; and for the
    knowledge rounds, correctness per learning objective across them."""
    rounds = list(
        Round.objects.filter(cohort=cohort)
        .exclude(status__in=[RoundStatus.CANCELLED, RoundStatus.SCHEDULED])
        .select_related("survey")
        .order_by("opens_at", "pk")
    )
    totals = {score.round_id: score for score in knowledge_scores(rounds)}
    scores = []
    for round_ in rounds:
        score = totals.get(round_.pk) or KnowledgeScore(
            round_.pk,
            round_.cohort_id,
            round_.label,
            round_.opens_at,
            0,
            0,
            0,
            round_.survey.anonymous,
        )
        scores.append(RoundScore(round_, score.submitted, score.percent, score.hidden))
    knowledge = [s for s in scores if s.round.survey.purpose == Purpose.KNOWLEDGE]
    cells: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for row in (
        Answer.objects.filter(
            response__round__in=[s.round.pk for s in knowledge if not s.hidden],
            response__status=ResponseStatus.SUBMITTED,
            question__kind=QuestionKind.KNOWLEDGE,
        )
        .values("response__round_id", "question__objective", "question__text")
        .annotate(n=Count("pk"), correct=Count("pk", filter=Q(is_correct=True)))
        .order_by()
    ):
        # Rounds usually ask copies of the same questions: the objective (or text) joins them.
        label = row["question__objective"] or row["question__text"]
        cell = cells[label][row["response__round_id"]]
        cell[0] += row["correct"]
        cell[1] += row["n"]
    rows = [
        RetentionRow(
            label=label,
            percents=[
                percent(*by_round[s.round.pk]) if s.round.pk in by_round else None
                for s in knowledge
            ],
        )
        for label, by_round in cells.items()
    ]
    rows.sort(key=lambda r: (-r.drop, r.label))
    return scores, rows


def csv_rows(round_: Round) -> Iterator[list[str]]:
    """One row per submitted response, one column per question; names only if not anonymous."""
    questions = list(round_.survey.questions.all())
    anonymous = round_.survey.anonymous
    responses = Response.objects.filter(round=round_, status=ResponseStatus.SUBMITTED)
    submitted = responses.count()
    header = [] if anonymous else ["Name", "Email"]
    header += [q.text for q in questions] + ["Score", "Out of", "Submitted at"]
    yield header
    if anonymous and submitted < ANONYMOUS_MINIMUM:
        return
    values: dict[int, dict[int, str]] = defaultdict(dict)
    for answer in submitted_answers(round_).values(
        "pk", "response_id", "question_id", "number", "text"
    ):
        values[answer["response_id"]][answer["question_id"]] = (
            answer["text"] if answer["number"] is None else str(answer["number"])
        )
    picked: dict[tuple[int, int], list[str]] = defaultdict(list)
    for response_id, question_id, text in (
        Answer.choices.through.objects.filter(
            answer__response__round=round_, answer__response__status=ResponseStatus.SUBMITTED
        )
        .order_by("choice__position", "choice_id")
        .values_list("answer__response_id", "answer__question_id", "choice__text")
    ):
        picked[(response_id, question_id)].append(text)
    ordering = ("participant__display_name", "participant__email") if not anonymous else ("?",)
    for response in responses.select_related("participant").order_by(*ordering):
        row = [] if anonymous else [response.participant.name, response.participant.email]
        for q in questions:
            if q.has_choices:
                row.append("; ".join(picked.get((response.pk, q.pk), [])))
            else:
                row.append(values[response.pk].get(q.pk, ""))
        row += [
            "" if response.score is None else str(response.score),
            "" if response.max_score is None else str(response.max_score),
            response.submitted_at.isoformat() if response.submitted_at else "",
        ]
        yield row
