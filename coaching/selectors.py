"""What a coach sees of their people, read in a fixed number of grouped queries.

One home for the rule: the coach home, a person's page, the participant's "what my coach sees"
page and the coaching prompts all read through here. A coach sees counts and scores, never a
post's text, never a study group's space, never an answer to an anonymous survey.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Max, Min, Q, QuerySet

from accounts.models import User
from coaching.models import Frequency, Observation
from cohorts import access
from cohorts.models import Cohort, Enrolment, Phase
from discussions.models import Post, PostKind
from socialtraining import clock
from sparks.models import Spark, SparkAnswer, SparkKind
from surveys.models import Answer, Question, QuestionKind, Response, ResponseStatus

# An active coach: their account works and they have signed in at least once (an invited coach
# who never came is no coach yet). On enrolments; the organisation dashboard's "coached" share.
ACTIVE_COACH = Q(coach__isnull=False, coach__is_active=True, coach__last_login__isnull=False)
OPENING_KINDS = (PostKind.ARTICLE, PostKind.QUESTION, PostKind.DISCUSSION)
# Shown when a cohort has no learning objectives on its questions yet.
NO_OBJECTIVE = "what they learned in the workshop"


@dataclass
class ObjectiveScore:
    objective: str
    # (right, asked) in the first knowledge check after the workshop and in the latest one.
    right_after: tuple[int, int] | None = None
    latest: tuple[int, int] | None = None

    @staticmethod
    def percent(pair: tuple[int, int] | None) -> int | None:
        return round(100 * pair[0] / pair[1]) if pair and pair[1] else None

    @property
    def right_after_percent(self) -> int | None:
        return self.percent(self.right_after)

    @property
    def latest_percent(self) -> int | None:
        return self.percent(self.latest)


@dataclass
class Coachee:
    """One person as their coach sees them in one cohort."""

    enrolment: Enrolment
    phase: Phase
    posts: int = 0
    replies: int = 0
    sparks_answered: int = 0
    sparks_right: int = 0
    surveys_submitted: int = 0
    objectives: list[ObjectiveScore] = field(default_factory=list)

    @property
    def user(self) -> User:
        return self.enrolment.user

    @property
    def cohort(self) -> Cohort:
        return self.enrolment.cohort


def with_cohort_schedule(enrolments: QuerySet[Enrolment]) -> QuerySet[Enrolment]:
    """Enrolments with person, coach, cohort and organisation, and the cohort's session bounds,
    so each one's phase needs no query."""
    return (
        enrolments.select_related("user", "coach", "cohort__organization")
        .annotate(
            cohort_first_start=Min("cohort__sessions__starts_at"),
            cohort_last_end=Max("cohort__sessions__ends_at"),
        )
        .order_by("cohort__name", "cohort_id", "user__display_name", "user__email")
    )


def coached_people(coach: User) -> list[Enrolment]:
    return _loaded(with_cohort_schedule(access.enrolments_coached_by(coach)))


def _loaded(enrolments: QuerySet[Enrolment]) -> list[Enrolment]:
    rows = list(enrolments)
    for enrolment in rows:
        cohort = enrolment.cohort
        cohort.first_session_start = enrolment.cohort_first_start
        cohort.last_session_end = enrolment.cohort_last_end
    return rows


def own_enrolment_seen(enrolment: Enrolment) -> list[Enrolment]:
    """The participant's own enrolment, loaded as their coach's pages load it."""
    return _loaded(with_cohort_schedule(Enrolment.objects.filter(pk=enrolment.pk)))


def cohort_objectives(cohort_ids: set[int]) -> dict[int, list[str]]:
    """Each cohort's learning objectives, from its knowledge questions and sparks (two queries)."""
    found: dict[int, set[str]] = defaultdict(set)
    questions = (
        Question.objects.filter(survey__cohort_id__in=cohort_ids, kind=QuestionKind.KNOWLEDGE)
        .exclude(objective="")
        .values_list("survey__cohort_id", "objective")
        .distinct()
    )
    sparks = (
        Spark.objects.filter(cohort_id__in=cohort_ids)
        .exclude(objective="")
        .values_list("cohort_id", "objective")
        .distinct()
    )
    for cohort_id, objective in [*questions, *sparks]:
        found[cohort_id].add(objective.strip())
    return {cohort_id: sorted(objectives) for cohort_id, objectives in found.items()}


def _pairs_filter(enrolments: list[Enrolment]) -> tuple[set[int], set[int], set[tuple[int, int]]]:
    pairs = {(e.user_id, e.cohort_id) for e in enrolments}
    return {u for u, _ in pairs}, {c for _, c in pairs}, pairs


def _knowledge_answers(user_ids: set[int], cohort_ids: set[int]) -> QuerySet[Answer]:
    # Anonymous surveys promised their answers to nobody: a coach never reads them.
    return Answer.objects.filter(
        response__participant_id__in=user_ids,
        response__round__cohort_id__in=cohort_ids,
        response__status=ResponseStatus.SUBMITTED,
        response__round__survey__anonymous=False,
        question__kind=QuestionKind.KNOWLEDGE,
    ).exclude(question__objective="")


def coachees(enrolments: list[Enrolment]) -> list[Coachee]:
    """What a coach sees of each enrolment: five grouped queries for any number of people."""
    if not enrolments:
        return []
    user_ids, cohort_ids, _ = _pairs_filter(enrolments)
    now = clock.now()
    people = {(e.user_id, e.cohort_id): Coachee(e, e.cohort.phase_at(now)) for e in enrolments}

    posts = (
        Post.objects.filter(
            author_id__in=user_ids, thread__cohort_id__in=cohort_ids, removed_at__isnull=True
        )
        .values_list("author_id", "thread__cohort_id")
        .annotate(
            opened=Count("pk", filter=Q(kind__in=OPENING_KINDS)),
            replied=Count("pk", filter=~Q(kind__in=OPENING_KINDS)),
        )
        .order_by()
    )
    for user_id, cohort_id, opened, replied in posts:
        if person := people.get((user_id, cohort_id)):
            person.posts, person.replies = opened, replied

    answers = (
        SparkAnswer.objects.filter(
            delivery__participant_id__in=user_ids, delivery__spark__cohort_id__in=cohort_ids
        )
        .values_list("delivery__participant_id", "delivery__spark__cohort_id")
        .annotate(answered=Count("pk"), right=Count("pk", filter=Q(is_correct=True)))
        .order_by()
    )
    for user_id, cohort_id, answered, right in answers:
        if person := people.get((user_id, cohort_id)):
            person.sparks_answered, person.sparks_right = answered, right

    submitted = (
        Response.objects.filter(
            participant_id__in=user_ids,
            round__cohort_id__in=cohort_ids,
            status=ResponseStatus.SUBMITTED,
            round__survey__anonymous=False,
        )
        .values_list("participant_id", "round__cohort_id")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for user_id, cohort_id, count in submitted:
        if person := people.get((user_id, cohort_id)):
            person.surveys_submitted = count

    _objective_scores(people, user_ids, cohort_ids)
    return [people[(e.user_id, e.cohort_id)] for e in enrolments]


def _objective_scores(people: dict, user_ids: set[int], cohort_ids: set[int]) -> None:
    """Per person and objective: the first knowledge check after the workshop began, against the
    latest one (one grouped query)."""
    rows = (
        _knowledge_answers(user_ids, cohort_ids)
        .values_list(
            "response__participant_id",
            "response__round__cohort_id",
            "response__round__opens_at",
            "question__objective",
        )
        .annotate(right=Count("pk", filter=Q(is_correct=True)), asked=Count("pk"))
        .order_by("response__round__opens_at")
    )
    scores: dict[tuple[int, int], dict[str, ObjectiveScore]] = defaultdict(dict)
    for user_id, cohort_id, opened, objective, right, asked in rows:
        person = people.get((user_id, cohort_id))
        start = person.cohort.first_start if person else None
        # Checks before the workshop are the baseline, not what was learned.
        if person is None or start is None or opened < start:
            continue
        score = scores[(user_id, cohort_id)].setdefault(objective, ObjectiveScore(objective))
        if score.right_after is None:
            score.right_after = (right, asked)
        else:
            score.latest = (right, asked)
    for pair, by_objective in scores.items():
        people[pair].objectives = sorted(by_objective.values(), key=lambda s: s.objective)


def recent_results(
    enrolments: list[Enrolment], *, since: datetime
) -> dict[tuple[int, int], dict[str, tuple[int, int]]]:
    """(right, answered) per person and objective since `since`, from knowledge checks and
    knowledge sparks (two grouped queries): what a conversation starter builds on."""
    user_ids, cohort_ids, pairs = _pairs_filter(enrolments)
    results: dict[tuple[int, int], dict[str, list[int]]] = defaultdict(dict)
    surveys = (
        _knowledge_answers(user_ids, cohort_ids)
        .filter(response__submitted_at__gte=since)
        .values_list(
            "response__participant_id", "response__round__cohort_id", "question__objective"
        )
        .annotate(right=Count("pk", filter=Q(is_correct=True)), asked=Count("pk"))
        .order_by()
    )
    sparks = (
        SparkAnswer.objects.filter(
            delivery__participant_id__in=user_ids,
            delivery__spark__cohort_id__in=cohort_ids,
            delivery__spark__kind=SparkKind.KNOWLEDGE,
            created_at__gte=since,
        )
        .exclude(delivery__spark__objective="")
        .values_list(
            "delivery__participant_id", "delivery__spark__cohort_id", "delivery__spark__objective"
        )
        .annotate(right=Count("pk", filter=Q(is_correct=True)), asked=Count("pk"))
        .order_by()
    )
    for user_id, cohort_id, objective, right, asked in [*surveys, *sparks]:
        if (user_id, cohort_id) not in pairs:
            continue
        tally = results[(user_id, cohort_id)].setdefault(objective.strip(), [0, 0])
        tally[0] += right
        tally[1] += asked
    return {
        pair: {objective: (t[0], t[1]) for objective, t in by_objective.items()}
        for pair, by_objective in results.items()
    }


# Level 3 by observation, for the cohort dashboard


@dataclass
class ObservedObjective:
    objective: str
    rated: int = 0
    applying: int = 0  # seen a few times or routinely

    @property
    def applying_percent(self) -> int | None:
        return round(100 * self.applying / self.rated) if self.rated else None


@dataclass
class ObservedRound:
    label: str
    offset_days: int
    coaches_answered: int = 0
    people_rated: int = 0
    # People seen applying at least one objective a few times or routinely.
    people_applying: int = 0
    objectives: list[ObservedObjective] = field(default_factory=list)

    @property
    def applying_percent(self) -> int | None:
        if not self.people_rated:
            return None
        return round(100 * self.people_applying / self.people_rated)


@dataclass
class ObservedBehaviour:
    coaches: int
    people_coached: int
    rounds: list[ObservedRound]

    @property
    def latest(self) -> ObservedRound | None:
        return self.rounds[-1] if self.rounds else None


def observed_behaviour(cohort: Cohort) -> ObservedBehaviour:
    """Coaches' observations per round and objective, beside the cohort's coaching reach, in two
    queries (the observation rows are a few per coached person and round)."""
    reach = Enrolment.objects.filter(cohort=cohort, coach__isnull=False).aggregate(
        coaches=Count("coach", distinct=True), people=Count("pk")
    )
    rows = (
        Observation.objects.filter(round__cohort=cohort)
        .values_list(
            "round__offset_days",
            "round__label",
            "objective",
            "enrolment_id",
            "coach_id",
            "frequency",
        )
        .order_by("round__offset_days", "objective")
    )
    rounds: dict[int, ObservedRound] = {}
    coaches: dict[int, set] = defaultdict(set)
    people: dict[int, dict[int, bool]] = defaultdict(dict)
    objectives: dict[int, dict[str, ObservedObjective]] = defaultdict(dict)
    for offset, label, objective, enrolment_id, coach_id, frequency in rows:
        rounds.setdefault(offset, ObservedRound(label, offset))
        coaches[offset].add(coach_id)
        seen = frequency >= Frequency.A_FEW_TIMES
        people[offset][enrolment_id] = people[offset].get(enrolment_id, False) or seen
        score = objectives[offset].setdefault(objective, ObservedObjective(objective))
        score.rated += 1
        score.applying += seen
    for offset, round_ in rounds.items():
        round_.coaches_answered = len(coaches[offset])
        round_.people_rated = len(people[offset])
        round_.people_applying = sum(people[offset].values())
        round_.objectives = list(objectives[offset].values())
    return ObservedBehaviour(
        coaches=reach["coaches"],
        people_coached=reach["people"],
        rounds=[rounds[offset] for offset in sorted(rounds)],
    )
