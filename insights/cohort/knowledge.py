"""Knowledge retained by a cohort: knowledge checks and first asks of knowledge sparks, by week
since its workshop, beside the other cohorts' weeks from the rollups."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from django.db.models import Sum

from cohorts.models import Cohort
from insights.cohort.results import Knowledge, KnowledgeRound, Tally
from insights.forgetting import forgetting_curves
from insights.models import RetentionPoint
from insights.rollups import knowledge_spark_days
from surveys.models import Purpose, Round, RoundStatus
from surveys.results import knowledge_scores


def cohort_knowledge(cohort: Cohort, schedule: tuple[datetime, datetime] | None) -> Knowledge:
    """Knowledge checks and knowledge sparks, by week since the workshop (`schedule`: its first
    start and last end), beside the other cohorts' weeks, the faint comparison.

    Two grouped queries over this cohort and one over the organisation's rollups. An anonymous
    round below ANONYMOUS_MINIMUM responses counts nowhere (`surveys.results.knowledge_scores`).
    """
    own, others = defaultdict(Tally), defaultdict(Tally)
    # This cohort by day too: the curve is fitted to days, the chart shows weeks.
    own_days: dict[int, Tally] = defaultdict(Tally)
    baseline = Tally()
    rounds: list[KnowledgeRound] = []
    knowledge_rounds = Round.objects.filter(cohort=cohort, survey__purpose=Purpose.KNOWLEDGE)
    for score in knowledge_scores(knowledge_rounds.exclude(status=RoundStatus.CANCELLED)):
        is_baseline = schedule is not None and score.opens_at < schedule[0]
        rounds.append(
            KnowledgeRound(
                label=score.label,
                opens_at=score.opens_at,
                submitted=score.submitted,
                average_percent=score.percent,
                hidden=score.hidden,
                baseline=is_baseline,
            )
        )
        if score.hidden or schedule is None or not score.possible:
            continue
        if is_baseline:
            baseline.add(score.points, score.possible)
            continue
        # Calendar days in UTC, as the rollups count them, so both lines share their weeks.
        days = max(
            (score.opens_at.astimezone(UTC).date() - schedule[1].astimezone(UTC).date()).days, 0
        )
        own[days // 7].add(score.points, score.possible)
        own_days[days].add(score.points, score.possible)
    # Knowledge sparks count by the day they were answered, as the rollups count them.
    for row in knowledge_spark_days([cohort.pk]) if schedule is not None else []:
        days = max((row["day"] - schedule[1].astimezone(UTC).date()).days, 0)
        own[days // 7].add(row["correct"], row["n"])
        own_days[days].add(row["correct"], row["n"])
    # The other cohorts come from the rollups (refreshed every 10 minutes, the same first-ask
    # rule): reading the whole organisation's answers here cost seconds at 2M records.
    for row in (
        RetentionPoint.objects.filter(organization_id=cohort.organization_id, week__gte=0)
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
