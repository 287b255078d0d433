"""Knowledge retained by a cohort: knowledge checks and first asks of knowledge sparks, by week
since its workshop, beside the other cohorts' weeks from the rollups."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from cohorts.models import Cohort
from insights.cohort.results import Knowledge, KnowledgeRound, Tally
from insights.forgetting import forgetting_curves
from insights.models import RetentionPoint
from sparks.models import SparkAnswer, SparkKind
from surveys.models import Purpose, Response, ResponseStatus, RoundStatus
from surveys.results import ANONYMOUS_MINIMUM, percent


def cohort_knowledge(cohort: Cohort, schedules: dict[int, tuple[datetime, datetime]]) -> Knowledge:
    """Knowledge checks and knowledge sparks, by week since each cohort's workshop.

    Two grouped queries over this cohort, and one over the organisation's rollups for the
    other cohorts' weeks, the faint comparison.
    Anonymous rounds below ANONYMOUS_MINIMUM responses count nowhere, as in surveys.results.
    """
    own, others = defaultdict(Tally), defaultdict(Tally)
    # This cohort by day too: the curve is fitted to days, the chart shows weeks.
    own_days: dict[int, Tally] = defaultdict(Tally)
    baseline = Tally()
    rounds: list[KnowledgeRound] = []
    org = cohort.organization_id
    round_rows = (
        Response.objects.filter(
            round__cohort=cohort,
            round__survey__purpose=Purpose.KNOWLEDGE,
            status=ResponseStatus.SUBMITTED,
            max_score__gt=0,
        )
        .exclude(round__status=RoundStatus.CANCELLED)
        .values(
            "round_id",
            "round__cohort_id",
            "round__label",
            "round__opens_at",
            "round__survey__anonymous",
        )
        .annotate(n=Count("pk"), score=Sum("score"), max_score=Sum("max_score"))
        .order_by("round__opens_at", "round_id")
    )
    for row in round_rows:
        cohort_id = row["round__cohort_id"]
        hidden = row["round__survey__anonymous"] and row["n"] < ANONYMOUS_MINIMUM
        schedule = schedules.get(cohort_id)
        opens_at = row["round__opens_at"]
        is_baseline = schedule is not None and opens_at < schedule[0]
        if cohort_id == cohort.pk:
            rounds.append(
                KnowledgeRound(
                    label=row["round__label"],
                    opens_at=opens_at,
                    submitted=row["n"],
                    average_percent=None
                    if hidden
                    else percent(row["score"] or 0, row["max_score"]),
                    hidden=hidden,
                    baseline=is_baseline,
                )
            )
        if hidden or schedule is None:
            continue
        if is_baseline:
            if cohort_id == cohort.pk:
                baseline.add(row["score"] or 0, row["max_score"])
            continue
        # Calendar days in UTC, as the rollups count them, so both lines share their weeks.
        days = max((opens_at.astimezone(UTC).date() - schedule[1].astimezone(UTC).date()).days, 0)
        if cohort_id == cohort.pk:
            own[days // 7].add(row["score"] or 0, row["max_score"])
            own_days[days].add(row["score"] or 0, row["max_score"])
        else:
            others[days // 7].add(row["score"] or 0, row["max_score"])
    # Knowledge sparks count by the day they were answered (UTC). Only first asks and lift
    # probes (attempt 0, drawn between +30 and +90 days): every participant gets one, so it
    # measures what the cohort retains; repeats are practice, asked again of those who
    # missed or got it wrong, and would measure the rehearsal.
    spark_rows = (
        SparkAnswer.objects.filter(
            delivery__spark__cohort=cohort,
            delivery__spark__kind=SparkKind.KNOWLEDGE,
            delivery__attempt__lte=1,
            is_correct__isnull=False,
        )
        .values("delivery__spark__cohort_id", day=TruncDate("created_at", tzinfo=UTC))
        .annotate(n=Count("pk"), correct=Count("pk", filter=Q(is_correct=True)))
        .order_by()
    )
    for row in spark_rows:
        cohort_id = row["delivery__spark__cohort_id"]
        schedule = schedules.get(cohort_id)
        if schedule is None:
            continue
        days = max((row["day"] - schedule[1].astimezone(UTC).date()).days, 0)
        if cohort_id == cohort.pk:
            own[days // 7].add(row["correct"], row["n"])
            own_days[days].add(row["correct"], row["n"])
        else:
            others[days // 7].add(row["correct"], row["n"])
    # The other cohorts come from the rollups (refreshed every 10 minutes, the same first-ask
    # rule): reading the whole organisation's answers here cost seconds at 2M records.
    for row in (
        RetentionPoint.objects.filter(organization_id=org, week__gte=0)
        .exclude(cohort=cohort)
        .values("week")
        .annotate(points=Sum("points"), possible=Sum("possible"))
        .order_by()
    ):
        others[row["week"]].add(row["points"], row["possible"])
    # Each day's score weighs as many answers as it averages, so a thin day moves it less.
    points = [(day, tally.percent, tally.asked) for day, tally in sorted(own_days.items())]
    return Knowledge(
        weeks=dict(own),
        others=dict(others),
        baseline=baseline,
        rounds=rounds,
        curves=forgetting_curves(points),
    )
