"""Bring the rollup tables up to date with a fixed number of set-based queries.

`rollups_refresh` runs one grouped aggregate per source (enrolments, posts, survey rounds and
responses, NPS answers, spark deliveries, knowledge scores) over every cohort at once, derives the
percentages in Python from those few rows, and writes everything back with one bulk upsert and
one bulk replace. Its cost grows with the rows the database scans, not with queries per cohort, so
it stays fast at 500 cohorts and 2,000,000 activity rows. Running it twice changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from accounts.models import Organization
from coaching.selectors import ACTIVE_COACH
from cohorts.models import Cohort, CohortRole, Enrolment
from discussions.models import Post, Reaction, ReadMarker
from insights.models import CohortRollup, RetentionPoint
from socialtraining import clock
from sparks.models import Delivery, DeliveryOutcome, SparkAnswer, SparkKind
from surveys.models import (
    Answer,
    Purpose,
    QuestionKind,
    Response,
    ResponseStatus,
    Round,
    RoundStatus,
)
from surveys.results import (
    ANONYMOUS_MINIMUM,
    NPS_DETRACTOR,
    NPS_PROMOTER,
    knowledge_scores,
    percent,
)

ACTIVE_DAYS = 14
OPENED = [RoundStatus.OPEN, RoundStatus.CLOSED]

ROLLUP_FIELDS = [
    f.name for f in CohortRollup._meta.concrete_fields if f.name != "cohort" and not f.primary_key
]


def week_after(day: date, last_end: datetime | None) -> int | None:
    """Whole weeks from the workshop's last day to `day` (0: the first seven days after it)."""
    if last_end is None:
        return None
    return (day - last_end.astimezone(UTC).date()).days // 7


@dataclass
class Knowledge:
    """Points per week since the workshop, and what the dashboard reads from them."""

    weeks: dict[int, list[int]]

    def _percent(self, week: int) -> float | None:
        points, possible = self.weeks[week]
        return percent(points, possible)

    def after_and_latest(self) -> tuple[float | None, float | None, int | None]:
        # Right after: the first week after the workshop with answers; latest: the last one.
        after_weeks = sorted(w for w in self.weeks if w >= 0)
        if not after_weeks:
            return None, None, None
        first, last = after_weeks[0], after_weeks[-1]
        if first == last:
            return self._percent(first), None, None
        return self._percent(first), self._percent(last), last


def _participants(enrolments, since: datetime) -> dict[int, dict]:
    """Participants and those active since `since`, per cohort: one grouped query."""
    user, cohort = OuterRef("user_id"), OuterRef("cohort_id")
    active = (
        Exists(Post.objects.filter(author=user, thread__cohort=cohort, created_at__gte=since))
        | Exists(
            Reaction.objects.filter(user=user, post__thread__cohort=cohort, created_at__gte=since)
        )
        | Exists(ReadMarker.objects.filter(user=user, thread__cohort=cohort, read_at__gte=since))
        | Exists(
            Response.objects.filter(participant=user, round__cohort=cohort, submitted_at__gte=since)
        )
        | Exists(
            SparkAnswer.objects.filter(
                delivery__participant=user,
                delivery__spark__cohort=cohort,
                created_at__gte=since,
            )
        )
    )
    rows = (
        enrolments.values("cohort_id")
        .annotate(
            n=Count("pk"),
            active=Count("pk", filter=Q(active)),
            coached=Count("pk", filter=ACTIVE_COACH),
        )
        .order_by()
    )
    return {row["cohort_id"]: row for row in rows}


def _participant_posts(cohort_ids) -> dict[int, int]:
    by_participant = Enrolment.objects.filter(
        cohort_id=OuterRef("thread__cohort_id"),
        user_id=OuterRef("author_id"),
        role=CohortRole.PARTICIPANT,
    )
    rows = (
        Post.objects.filter(thread__cohort_id__in=cohort_ids, removed_at__isnull=True)
        .filter(Exists(by_participant))
        .values("thread__cohort_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["thread__cohort_id"]: row["n"] for row in rows}


def _grouped(queryset, key: str, **aggregates) -> dict[int, dict]:
    rows = queryset.values(key).annotate(**aggregates).order_by()
    return {row[key]: row for row in rows}


def _nps_by_cohort(cohort_ids) -> dict[int, dict]:
    """NPS answers per cohort, grouped by round so that an anonymous survey's round below
    ANONYMOUS_MINIMUM answers counts nowhere, as its own results page hides it."""
    totals: dict[int, dict] = defaultdict(lambda: {"n": 0, "promoters": 0, "detractors": 0})
    rows = (
        Answer.objects.filter(
            response__round__cohort_id__in=cohort_ids,
            response__status=ResponseStatus.SUBMITTED,
            question__kind=QuestionKind.NPS,
            number__isnull=False,
        )
        .values("response__round_id", "response__round__cohort_id", "question__survey__anonymous")
        .annotate(
            n=Count("pk"),
            promoters=Count("pk", filter=Q(number__gte=NPS_PROMOTER)),
            detractors=Count("pk", filter=Q(number__lte=NPS_DETRACTOR)),
        )
        .order_by()
    )
    for row in rows:
        if row["question__survey__anonymous"] and row["n"] < ANONYMOUS_MINIMUM:
            continue
        total = totals[row["response__round__cohort_id"]]
        for key in ("n", "promoters", "detractors"):
            total[key] += row[key]
    return totals


def knowledge_spark_days(cohort_ids) -> QuerySet:
    """Knowledge-spark answers per cohort and day answered (UTC): `n` answers, `correct` right.

    First asks and lift probes (attempt 0, drawn between +30 and +90 days) only: every
    participant gets one, so they measure what the cohort retains; repeats go to those who missed
    or got it wrong, so counting them would measure the practice, not what was remembered.
    """
    return (
        SparkAnswer.objects.filter(
            delivery__spark__cohort_id__in=cohort_ids,
            delivery__spark__kind=SparkKind.KNOWLEDGE,
            delivery__attempt__lte=1,
            is_correct__isnull=False,
        )
        .values(cohort_id=F("delivery__spark__cohort_id"), day=TruncDate("created_at", tzinfo=UTC))
        .annotate(n=Count("pk"), correct=Count("pk", filter=Q(is_correct=True)))
        .order_by()
    )


def _knowledge(cohort_ids, last_ends: dict[int, datetime | None]) -> dict[int, Knowledge]:
    """Knowledge points per cohort and week: knowledge-check rounds (placed by the week the round
    opened) and knowledge-spark answers (by the day they were given)."""
    weeks: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    rounds = Round.objects.filter(
        cohort_id__in=cohort_ids, survey__purpose=Purpose.KNOWLEDGE, status__in=OPENED
    )
    for score in knowledge_scores(rounds):
        if score.hidden:
            continue
        week = week_after(score.opens_at.astimezone(UTC).date(), last_ends[score.cohort_id])
        if week is not None:
            weeks[score.cohort_id][week][0] += score.points
            weeks[score.cohort_id][week][1] += score.possible
    for row in knowledge_spark_days(cohort_ids):
        week = week_after(row["day"], last_ends[row["cohort_id"]])
        if week is not None:
            weeks[row["cohort_id"]][week][0] += row["correct"]
            weeks[row["cohort_id"]][week][1] += row["n"]
    return {cohort_id: Knowledge(dict(by_week)) for cohort_id, by_week in weeks.items()}


def _retained_by_coaching(cohort_ids, last_ends) -> dict[tuple[int, bool], float | None]:
    """Knowledge retained per cohort by people with and without an active coach: knowledge-check
    scores only (one grouped query). Anonymous surveys are left out: split in two, their small
    groups could point at people."""
    coached = Exists(
        Enrolment.objects.filter(
            cohort_id=OuterRef("round__cohort_id"), user_id=OuterRef("participant_id")
        ).filter(ACTIVE_COACH)
    )
    rows = (
        Response.objects.filter(
            round__cohort_id__in=cohort_ids,
            round__survey__purpose=Purpose.KNOWLEDGE,
            round__survey__anonymous=False,
            round__status__in=OPENED,
            status=ResponseStatus.SUBMITTED,
            max_score__gt=0,
        )
        .annotate(coached=coached)
        .values("round__cohort_id", "round__opens_at", "coached")
        .annotate(points=Sum("score"), possible=Sum("max_score"))
        .order_by()
    )
    weeks: dict[tuple[int, bool], dict[int, list[int]]] = defaultdict(
        lambda: defaultdict(lambda: [0, 0])
    )
    for row in rows:
        cohort_id = row["round__cohort_id"]
        week = week_after(row["round__opens_at"].astimezone(UTC).date(), last_ends[cohort_id])
        if week is not None:
            weeks[(cohort_id, row["coached"])][week][0] += row["points"] or 0
            weeks[(cohort_id, row["coached"])][week][1] += row["possible"]
    retained = {}
    for key, by_week in weeks.items():
        after, latest, _ = Knowledge(dict(by_week)).after_and_latest()
        retained[key] = percent(latest, after) if after and latest is not None else None
    return retained


def _nps(promoters: int, detractors: int, answers: int) -> int | None:
    return round(100 * (promoters - detractors) / answers) if answers else None


def rollups_refresh(*, organization: Organization | None = None) -> int:
    """Recompute every cohort's rollup (of `organization`, or of all); returns how many."""
    now = clock.now()
    cohorts_qs = Cohort.objects.all()
    if organization is not None:
        cohorts_qs = cohorts_qs.filter(organization=organization)
    cohorts = list(
        cohorts_qs.with_schedule().only("pk", "organization_id", "follow_up_days").order_by()
    )
    cohort_ids = [c.pk for c in cohorts]
    if not cohort_ids:
        return 0
    # The ids are sent as a subquery, not a list, so 500 cohorts make no 500-parameter IN.
    ids = cohorts_qs.values("pk")
    enrolments = Enrolment.objects.filter(
        cohort_id__in=ids, role=CohortRole.PARTICIPANT, user__is_active=True
    )
    people = _participants(enrolments, now - timedelta(days=ACTIVE_DAYS))
    posts = _participant_posts(ids)
    rounds = _grouped(
        Round.objects.filter(cohort_id__in=ids, status__in=OPENED), "cohort_id", n=Count("pk")
    )
    responses = _grouped(
        Response.objects.filter(
            round__cohort_id__in=ids, round__status__in=OPENED, status=ResponseStatus.SUBMITTED
        ),
        "round__cohort_id",
        n=Count("pk"),
    )
    nps = _nps_by_cohort(ids)
    sparks = _grouped(
        Delivery.objects.filter(spark__cohort_id__in=ids, sent_at__isnull=False).exclude(
            outcome=DeliveryOutcome.CANCELLED
        ),
        "spark__cohort_id",
        n=Count("pk"),
        answered=Count("pk", filter=Q(outcome=DeliveryOutcome.ANSWERED)),
    )
    last_ends = {c.pk: c.last_end for c in cohorts}
    knowledge = _knowledge(ids, last_ends)
    retained_by_coaching = _retained_by_coaching(ids, last_ends)

    rollups, points = [], []
    for cohort in cohorts:
        participants = people.get(cohort.pk, {}).get("n", 0)
        active = people.get(cohort.pk, {}).get("active", 0)
        coached = people.get(cohort.pk, {}).get("coached", 0)
        invitations = rounds.get(cohort.pk, {}).get("n", 0) * participants
        submitted = responses.get(cohort.pk, {}).get("n", 0)
        nps_row = nps.get(cohort.pk, {"n": 0, "promoters": 0, "detractors": 0})
        spark_row = sparks.get(cohort.pk, {"n": 0, "answered": 0})
        curve = knowledge.get(cohort.pk, Knowledge({}))
        after, latest, latest_week = curve.after_and_latest()
        response_rate = percent(submitted, invitations)
        rollups.append(
            CohortRollup(
                cohort_id=cohort.pk,
                organization_id=cohort.organization_id,
                phase=cohort.phase_at(now),
                first_session_start=cohort.first_start,
                last_session_end=cohort.last_end,
                participants=participants,
                active_participants=active,
                participant_posts=posts.get(cohort.pk, 0),
                survey_invitations=invitations,
                survey_responses=submitted,
                nps_answers=nps_row["n"],
                sparks_sent=spark_row["n"],
                sparks_answered=spark_row["answered"],
                participation_percent=percent(active, participants),
                posts_per_participant=(
                    round(posts.get(cohort.pk, 0) / participants, 1) if participants else None
                ),
                # A late enrolment can make responses outnumber invitations: cap at 100 %.
                response_rate_percent=None if response_rate is None else min(response_rate, 100.0),
                nps=_nps(nps_row["promoters"], nps_row["detractors"], nps_row["n"]),
                knowledge_after_percent=after,
                knowledge_latest_percent=latest,
                knowledge_latest_week=latest_week,
                retained_percent=(percent(latest, after) if after and latest is not None else None),
                spark_answer_rate_percent=percent(spark_row["answered"], spark_row["n"]),
                coached_participants=coached,
                coached_percent=percent(coached, participants),
                coached_retained_percent=retained_by_coaching.get((cohort.pk, True)),
                uncoached_retained_percent=retained_by_coaching.get((cohort.pk, False)),
                refreshed_at=now,
            )
        )
        points.extend(
            RetentionPoint(
                cohort_id=cohort.pk,
                organization_id=cohort.organization_id,
                week=week,
                points=scored,
                possible=possible,
                refreshed_at=now,
            )
            for week, (scored, possible) in sorted(curve.weeks.items())
        )
    _write(rollups, points, ids)
    return len(rollups)


@transaction.atomic
def _write(rollups: list[CohortRollup], points: Iterable[RetentionPoint], cohort_ids) -> None:
    CohortRollup.objects.bulk_create(
        rollups,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["cohort"],
        update_fields=ROLLUP_FIELDS,
    )
    RetentionPoint.objects.filter(cohort_id__in=cohort_ids).delete()
    # An upsert, so a refresh running at the same moment (beat and the command) cannot collide.
    RetentionPoint.objects.bulk_create(
        points,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["cohort", "week"],
        update_fields=["organization", "points", "possible", "refreshed_at"],
    )
