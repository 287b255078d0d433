"""What the organisation dashboard reads: rollup rows, filtered and sorted in the database.

Every function costs one query (or none), whatever the number of cohorts or activity rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, Exists, F, Min, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import Organization, User
from cohorts.models import CohortRole, Enrolment, Phase
from insights.charts import Chart, Series
from insights.forms import SORTS
from insights.models import CohortRollup, RetentionPoint
from socialtraining import clock
from surveys.results import percent

RUNNING = [Phase.BEFORE, Phase.WORKSHOP, Phase.AFTER]
# Beat refreshes every 10 minutes; older than this means the refresh has stopped.
STALE_AFTER = timedelta(hours=1)

# (column label, rollup attribute, unit): the table, the comparison and the CSV share them.
METRICS = [
    ("Participants", "participants", ""),
    ("Active in the last 14 days", "participation_percent", "%"),
    ("Posts per participant", "posts_per_participant", ""),
    ("Survey response rate", "response_rate_percent", "%"),
    ("NPS", "nps", ""),
    ("Knowledge right after", "knowledge_after_percent", "%"),
    ("Knowledge at latest follow-up", "knowledge_latest_percent", "%"),
    ("Knowledge retained", "retained_percent", "%"),
    ("Spark answer rate", "spark_answer_rate_percent", "%"),
    ("Coached (active coach)", "coached_percent", "%"),
    ("Knowledge retained, coached", "coached_retained_percent", "%"),
    ("Knowledge retained, not coached", "uncoached_retained_percent", "%"),
]
# The table's sortable columns, in order: sort key and header. The figures managers come for
# (retained, spark answer rate) come first after the cohort, so they are in view on a laptop.
COLUMNS = [
    ("name", "Cohort"),
    ("phase", "Phase"),
    ("retained", "Retained"),
    ("sparks", "Spark answer rate"),
    ("participants", "Participants"),
    ("participation", "Active (14 days)"),
    ("responses", "Survey response rate"),
    ("nps", "NPS"),
    ("after", "Knowledge right after"),
    ("latest", "Knowledge latest"),
    ("coached", "Coached"),
    ("posts", "Posts per participant"),
    ("start", "Workshop"),
]


@dataclass(frozen=True)
class Headline:
    cohorts: int
    cohorts_running: int
    participants: int
    participation_percent: float | None
    retained_percent: float | None
    spark_answer_rate_percent: float | None
    refreshed_at: datetime | None
    # Over cohorts where both are known: what coached and uncoached people kept on average.
    coached_retained_percent: float | None = None
    uncoached_retained_percent: float | None = None
    compared_cohorts: int = 0

    @property
    def is_stale(self) -> bool:
        return self.refreshed_at is not None and clock.now() - self.refreshed_at > STALE_AFTER


def headline_for(organization: Organization) -> Headline:
    """The headline row, over the organisation's running cohorts (one query)."""
    running = Q(phase__in=RUNNING)
    both = Q(coached_retained_percent__isnull=False, uncoached_retained_percent__isnull=False)
    row = CohortRollup.objects.for_organization(organization).aggregate(
        cohorts=Count("pk"),
        running=Count("pk", filter=running),
        participants=Sum("participants", filter=running),
        active=Sum("active_participants", filter=running),
        retained=Avg("retained_percent"),
        sent=Sum("sparks_sent"),
        answered=Sum("sparks_answered"),
        refreshed_at=Min("refreshed_at"),
        coached_retained=Avg("coached_retained_percent", filter=both),
        uncoached_retained=Avg("uncoached_retained_percent", filter=both),
        compared=Count("pk", filter=both),
    )
    return Headline(
        cohorts=row["cohorts"],
        cohorts_running=row["running"],
        participants=row["participants"] or 0,
        participation_percent=percent(row["active"] or 0, row["participants"] or 0),
        retained_percent=None if row["retained"] is None else round(row["retained"], 1),
        spark_answer_rate_percent=percent(row["answered"] or 0, row["sent"] or 0),
        refreshed_at=row["refreshed_at"],
        coached_retained_percent=_rounded(row["coached_retained"]),
        uncoached_retained_percent=_rounded(row["uncoached_retained"]),
        compared_cohorts=row["compared"],
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def instructors_of(organization: Organization) -> list[User]:
    teaching = Enrolment.objects.filter(
        user=OuterRef("pk"), role=CohortRole.INSTRUCTOR, cohort__organization=organization
    )
    return list(User.objects.filter(Exists(teaching)).order_by("display_name", "email"))


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def rollups_filtered(
    organization: Organization, filters: dict, sort: str
) -> QuerySet[CohortRollup]:
    """The organisation's cohort rows matching the (validated) filters, sorted by `sort`."""
    rollups = CohortRollup.objects.for_organization(organization).select_related("cohort")
    if filters.get("phase"):
        rollups = rollups.filter(phase=filters["phase"])
    if filters.get("instructor"):
        rollups = rollups.filter(
            Exists(
                Enrolment.objects.filter(
                    cohort=OuterRef("cohort_id"),
                    user_id=filters["instructor"],
                    role=CohortRole.INSTRUCTOR,
                )
            )
        )
    if filters.get("starts_from"):
        rollups = rollups.filter(first_session_start__gte=_day_start(filters["starts_from"]))
    if filters.get("starts_until"):
        until = _day_start(filters["starts_until"]) + timedelta(days=1)
        rollups = rollups.filter(first_session_start__lt=until)
    field = F(SORTS[sort.lstrip("-")])
    order = field.desc(nulls_last=True) if sort.startswith("-") else field.asc(nulls_last=True)
    return rollups.order_by(order, "cohort__name", "pk")


def with_instructors(rollups: QuerySet[CohortRollup]) -> QuerySet[CohortRollup]:
    """Each row's instructors in one more query (`rollup.cohort.instructor_enrolments`)."""
    return rollups.prefetch_related(
        Prefetch(
            "cohort__enrolments",
            queryset=Enrolment.objects.filter(role=CohortRole.INSTRUCTOR).select_related("user"),
            to_attr="instructor_enrolments",
        )
    )


def csv_rows(rollups: QuerySet[CohortRollup]) -> Iterator[list[object]]:
    """The cohort metrics table as CSV rows, each with the time its numbers were computed."""
    yield [
        "Cohort",
        "Phase",
        "Workshop start",
        "Instructors",
        *(label for label, _, _ in METRICS),
        "Latest follow-up (weeks after)",
        "Updated at",
    ]
    for rollup in with_instructors(rollups):
        yield [
            rollup.cohort.name,
            rollup.get_phase_display(),
            rollup.first_session_start.isoformat() if rollup.first_session_start else None,
            "; ".join(e.user.name for e in rollup.cohort.instructor_enrolments),
            *(getattr(rollup, attr) for _, attr, _ in METRICS),
            rollup.knowledge_latest_week,
            rollup.refreshed_at.isoformat(),
        ]


def knowledge_chart(rollups: list[CohortRollup], *, csv_url: str = "") -> Chart:
    """Knowledge right after the workshop against the latest follow-up, per cohort shown."""
    shown = [r for r in rollups if r.knowledge_after_percent is not None]
    return Chart(
        id="knowledge",
        title="Knowledge right after the workshop and at the latest follow-up",
        kind="bar",
        x_label="Cohort",
        y_label="Average score (%)",
        labels=[r.cohort.name for r in shown],
        series=[
            Series("Right after", [r.knowledge_after_percent for r in shown]),
            Series("Latest follow-up", [r.knowledge_latest_percent for r in shown]),
        ],
        summary=_knowledge_summary(shown),
        y_min=0,
        y_max=100,
        unit="%",
        csv_url=csv_url,
        fresh_at=min((r.refreshed_at for r in shown), default=None),
    )


def _knowledge_summary(shown: list[CohortRollup]) -> str:
    retained = [r.retained_percent for r in shown if r.retained_percent is not None]
    if not retained:
        return "No cohort has a follow-up score yet."
    average = round(sum(retained) / len(retained), 1)
    if len(retained) == 1:
        return f"The one cohort with a follow-up kept {average}% of its score after the workshop."
    return f"{len(retained)} cohorts kept on average {average}% of their score after the workshop."


def retention_chart(
    organization: Organization,
    compared: list[CohortRollup] = (),
    *,
    csv_url: str = "",
) -> Chart:
    """Average knowledge score by week since the workshop: the organisation, and each compared
    cohort drawn over it (two queries at most)."""
    points = (
        RetentionPoint.objects.filter(organization=organization, week__gte=0)
        .values("week")
        .annotate(points=Sum("points"), possible=Sum("possible"), refreshed_at=Min("refreshed_at"))
        .order_by("week")
    )
    average = {p["week"]: percent(p["points"], p["possible"]) for p in points}
    by_cohort: dict[int, dict[int, float | None]] = defaultdict(dict)
    if compared:
        for point in RetentionPoint.objects.filter(
            cohort_id__in=[r.cohort_id for r in compared], week__gte=0
        ):
            by_cohort[point.cohort_id][point.week] = point.percent
    weeks = list(
        range(0, max([*average, *(w for c in by_cohort.values() for w in c)], default=-1) + 1)
    )
    series = [
        Series(r.cohort.name, [by_cohort[r.cohort_id].get(w) for w in weeks]) for r in compared
    ]
    series.append(
        Series(
            "All cohorts of the organisation",
            [average.get(w) for w in weeks],
            style="faint" if compared else "main",
        )
    )
    fresh = min((p["refreshed_at"] for p in points), default=None)
    return Chart(
        id="retention",
        title="Knowledge retained, by weeks since the workshop",
        kind="line",
        x_label="Weeks since the workshop",
        y_label="Average score (%)",
        labels=[str(w) for w in weeks],
        series=series,
        summary=_retention_summary(weeks, average),
        y_min=0,
        y_max=100,
        unit="%",
        csv_url=csv_url,
        fresh_at=fresh,
    )


def _retention_summary(weeks: list[int], average: dict[int, float | None]) -> str:
    known = [(w, average[w]) for w in weeks if average.get(w) is not None]
    if len(known) < 2:
        return ""
    (first_week, first), (last_week, last) = known[0], known[-1]
    return (
        f"Across the organisation the average score goes from {first}% in week {first_week} "
        f"to {last}% in week {last_week}."
    )
