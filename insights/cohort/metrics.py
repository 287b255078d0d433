"""What one cohort's dashboard shows, aggregated live in the database.

`CohortMetrics` loads each source once, on first use, with one grouped query (everyone's
activity is one UNION ALL of grouped queries), so a page costs the same number of queries
whatever the number of participants, posts or answers. Everything is computed at `now`, which
the page shows as "as of". The chart functions (`insights.cohort.charts`) turn these numbers into
`insights.charts.Chart`s: the dashboard draws them and each CSV route serves the same object.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from functools import cached_property

from django.db.models import Count, F, Func, IntegerField, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncWeek

from cohorts.models import Cohort, CohortRole, Enrolment, WorkshopSession
from discussions.models import Channel, Post
from insights.cohort.activity import cohort_activity
from insights.cohort.knowledge import cohort_knowledge
from insights.cohort.results import (
    AGREE_FROM,
    CHANNEL_ORDER,
    DEFAULT_QUIET_DAYS,
    AtRisk,
    Behaviour,
    Knowledge,
    ParticipantActivity,
    Reactions,
    ScaleResult,
    SparkResult,
    post_channel,
)
from sparks.models import Delivery, DeliveryOutcome, Spark, SparkAnswer, SparkThread
from surveys.models import Answer, Purpose, QuestionKind, ResponseStatus
from surveys.results import ANONYMOUS_MINIMUM, NPS_DETRACTOR, NPS_PROMOTER, percent


def _count(queryset: QuerySet) -> Subquery:
    """A correlated COUNT(*) of `queryset` (filtered on OuterRef), as a scalar subquery."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Subquery(counted, output_field=IntegerField())


class CohortMetrics:
    def __init__(self, cohort: Cohort, *, now: datetime, quiet_days: int = DEFAULT_QUIET_DAYS):
        self.cohort = cohort
        self.now = now
        self.quiet_days = quiet_days

    @cached_property
    def schedule(self) -> tuple[datetime, datetime] | None:
        """The workshop's first start and last end, or None without sessions, in one query."""
        span = WorkshopSession.objects.filter(cohort=self.cohort).aggregate(
            start=Min("starts_at"), end=Max("ends_at")
        )
        return (span["start"], span["end"]) if span["start"] else None

    @property
    def workshop_end(self) -> datetime | None:
        return self.schedule[1] if self.schedule else None

    @cached_property
    def knowledge(self) -> Knowledge:
        return cohort_knowledge(self.cohort, self.schedule)

    @cached_property
    def reactions(self) -> Reactions:
        """Levels 1 and 3 from the Likert and NPS answers of reaction and behaviour surveys."""
        rows = (
            Answer.objects.filter(
                response__round__cohort=self.cohort,
                response__status=ResponseStatus.SUBMITTED,
                question__survey__purpose__in=[Purpose.REACTION, Purpose.BEHAVIOUR],
                question__kind__in=[QuestionKind.LIKERT, QuestionKind.NPS],
                number__isnull=False,
            )
            .values(
                "question__survey__purpose",
                "question__survey__anonymous",
                "question__kind",
                "question__text",
                "number",
            )
            .annotate(n=Count("pk"))
            .order_by("question__survey__purpose", "question__text")
        )
        by_question: dict[tuple, dict[int, int]] = defaultdict(dict)
        for row in rows:
            key = (
                row["question__survey__purpose"],
                row["question__kind"],
                row["question__text"],
                row["question__survey__anonymous"],
            )
            by_question[key][row["number"]] = row["n"]
        result = Reactions()
        promoters = detractors = 0
        for (purpose, kind, text, anonymous), counts in by_question.items():
            answers = sum(counts.values())
            if anonymous and answers < ANONYMOUS_MINIMUM:
                continue
            if kind == QuestionKind.NPS:
                result.nps_answers += answers
                promoters += sum(n for p, n in counts.items() if p >= NPS_PROMOTER)
                detractors += sum(n for p, n in counts.items() if p <= NPS_DETRACTOR)
                continue
            mean = round(sum(p * n for p, n in counts.items()) / answers, 2)
            agree = sum(n for p, n in counts.items() if p >= AGREE_FROM)
            scale = ScaleResult(text, answers, mean, percent(agree, answers))
            if purpose == Purpose.REACTION:
                result.likert.append(scale)
            else:
                result.behaviour.append(scale)
        if result.nps_answers:
            result.nps = round(100 * (promoters - detractors) / result.nps_answers)
        return result

    @cached_property
    def channel_weeks(self) -> dict[datetime, dict[Channel, int]]:
        """Posts per calendar week (in the cohort's time zone) and channel of social learning."""
        rows = (
            Post.objects.filter(thread__cohort=self.cohort, removed_at__isnull=True)
            .annotate(week=TruncWeek("created_at", tzinfo=self.cohort.tz))
            .values("week", "kind", in_group=Q(thread__study_group__isnull=False))
            .annotate(n=Count("pk"))
            .order_by("week")
        )
        weeks: dict[datetime, dict[Channel, int]] = {}
        for row in rows:
            week = weeks.setdefault(row["week"], dict.fromkeys(CHANNEL_ORDER, 0))
            week[post_channel(row["kind"], bool(row["in_group"]))] += row["n"]
        return weeks

    @cached_property
    def sparks(self) -> list[SparkResult]:
        """Per spark: asks delivered, answered, answered correctly, missed; and the replies its
        answers drew in the spark's threads (posts there that are not themselves answers)."""
        # One row per spark, each number a correlated count: no join multiplies the deliveries
        # by the posts, and the few sparks of a cohort each cost an index lookup per number.
        deliveries = Delivery.objects.filter(spark_id=OuterRef("pk"))
        spark_threads = SparkThread.objects.filter(spark_id=OuterRef(OuterRef("pk")))
        replies = Post.objects.filter(
            thread_id__in=spark_threads.values("thread_id"), removed_at__isnull=True
        ).exclude(
            pk__in=SparkAnswer.objects.filter(
                delivery__spark_id=OuterRef(OuterRef("pk")), post__isnull=False
            ).values("post_id")
        )
        sparks = (
            Spark.objects.filter(cohort=self.cohort, cancelled_at__isnull=True)
            .annotate(
                delivered=_count(deliveries.filter(sent_at__isnull=False)),
                answered=_count(deliveries.filter(outcome=DeliveryOutcome.ANSWERED)),
                correct=_count(deliveries.filter(answer__is_correct=True)),
                missed=_count(deliveries.filter(outcome=DeliveryOutcome.MISSED)),
                replies=_count(replies),
            )
            .order_by("offset_days", "pk")
        )
        return [
            SparkResult(
                question=s.question,
                kind=s.kind,
                offset_days=s.offset_days,
                delivered=s.delivered,
                answered=s.answered,
                correct=s.correct,
                missed=s.missed,
                replies=s.replies,
            )
            for s in sparks
        ]

    @cached_property
    def activity(self) -> dict[str, list[dict]]:
        return cohort_activity(self.cohort, quiet_since=self.quiet_since)

    @cached_property
    def behaviour(self) -> Behaviour:
        rows = self.activity["behaviour"]
        return Behaviour(
            respondents=len(rows),
            applying=sum(1 for row in rows if row["a"]),
            hidden=any(row["b"] for row in rows) and len(rows) < ANONYMOUS_MINIMUM,
        )

    @cached_property
    def participants(self) -> list[ParticipantActivity]:
        """One row per participant: their enrolment and their activity, in two queries."""
        enrolments = (
            Enrolment.objects.filter(cohort=self.cohort, role=CohortRole.PARTICIPANT)
            .select_related("user", "study_group")
            .order_by(F("user__display_name").asc(nulls_last=True), "user__email")
        )
        activity = self.activity
        by_source = {
            source: {row["uid"]: row for row in activity[source]}
            for source in (
                "posts",
                "reactions",
                "sparks",
                "sparks_missed_recently",
                "surveys",
                "read",
                "nudged",
            )
        }
        closed_rounds = [row["at"] for row in activity["closed_round"]]
        recent_rounds = {row["a"]: row["at"] for row in activity["closed_round"] if row["b"]}
        answered: dict[int, list[datetime]] = defaultdict(list)
        answered_rounds: dict[int, set[int]] = defaultdict(set)
        for row in activity["closed_answered"]:
            answered[row["uid"]].append(row["at"])
            answered_rounds[row["uid"]].add(row["a"])
        empty = {"a": 0, "b": 0, "at": None}
        rows = []
        for e in enrolments:
            mine = {source: rows_.get(e.user_id, empty) for source, rows_ in by_source.items()}
            # A round that opened before they joined is not one they missed.
            due = sum(1 for opened in closed_rounds if opened >= e.created_at)
            done = sum(1 for opened in answered[e.user_id] if opened >= e.created_at)
            moments = [mine[s]["at"] for s in ("posts", "reactions", "sparks", "surveys", "read")]
            rows.append(
                ParticipantActivity(
                    enrolment=e,
                    posts=mine["posts"]["a"],
                    replies=mine["posts"]["b"],
                    reactions=mine["reactions"]["a"],
                    sparks_answered=mine["sparks"]["a"],
                    sparks_missed=mine["sparks"]["b"],
                    surveys_submitted=mine["surveys"]["a"],
                    surveys_missed=due - done,
                    last_active=max((m for m in moments if m is not None), default=None),
                    last_nudged=mine["nudged"]["at"],
                    sparks_missed_recently=mine["sparks_missed_recently"]["a"],
                    surveys_missed_recently=sum(
                        1
                        for pk, opened in recent_rounds.items()
                        if opened >= e.created_at and pk not in answered_rounds[e.user_id]
                    ),
                )
            )
        return rows

    @property
    def quiet_since(self) -> datetime:
        return self.now - timedelta(days=self.quiet_days)

    @cached_property
    def at_risk(self) -> list[AtRisk]:
        """No activity for `quiet_days` days, or a spark or survey missed within them; most at
        risk first. Each reason weighs: never active or quiet twice the window 3, quiet 2, a
        missed survey 2, a missed spark 1 (misses at most 4)."""
        found = []
        window = "day" if self.quiet_days == 1 else f"{self.quiet_days} days"
        for row in self.participants:
            reasons, score = [], 0
            if row.last_active is None:
                reasons.append("no activity yet")
                score += 3
            elif row.last_active < self.quiet_since:
                days = (self.now - row.last_active).days
                reasons.append(f"no activity for {days} days")
                score += 3 if days >= 2 * self.quiet_days else 2
            missed = 0
            if n := row.sparks_missed_recently:
                reasons.append(f"missed {n} spark{'s' * (n > 1)} in the last {window}")
                missed += n
            if n := row.surveys_missed_recently:
                reasons.append(f"missed {n} survey{'s' * (n > 1)} in the last {window}")
                missed += 2 * n
            score += min(missed, 4)
            if reasons:
                found.append(AtRisk(row, reasons, score))
        # Most at risk first; among equals, the longest quiet first.
        never = self.now - timedelta(days=36500)
        found.sort(key=lambda risk: (-risk.score, risk.activity.last_active or never))
        return found
