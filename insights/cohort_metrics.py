"""What one cohort's dashboard shows, aggregated live in the database.

`CohortMetrics` loads each source once, on first use, with one grouped query (everyone's
activity is one UNION ALL of grouped queries), so a page costs the same number of queries
whatever the number of participants, posts or answers. Everything is computed at `now`, which
the page shows as "as of". The chart functions turn these numbers into `insights.charts.Chart`s:
the dashboard draws them and each CSV route serves the same object.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property

from discussions.services import post_excerpt
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate, TruncWeek
from django.urls import reverse
from django.utils.text import Truncator

from cohorts.models import Cohort, CohortRole, Enrolment, WorkshopSession
from discussions.models import Channel, Post, PostKind, Reaction, ReadMarker, Thread
from insights.charts import Chart, Series
from insights.forgetting import (
    CurveChoice,
    ForgettingFit,
    NoFit,
    PowerLawFit,
    forgetting_curves,
)
from insights.models import RetentionPoint
from notifications.models import Notification
from sparks.models import Delivery, DeliveryOutcome, Spark, SparkAnswer, SparkKind, SparkThread
from surveys.models import (
    Answer,
    Purpose,
    QuestionKind,
    Response,
    ResponseStatus,
    Round,
    RoundStatus,
)
from surveys.results import ANONYMOUS_MINIMUM, NPS_DETRACTOR, NPS_PROMOTER, percent

DEFAULT_QUIET_DAYS = 14
# A Likert answer of 4 or 5 ("agree", "strongly agree") reports applying what was learned.
AGREE_FROM = 4
OWN_POST_KINDS = (PostKind.ARTICLE, PostKind.QUESTION, PostKind.DISCUSSION)
REPLY_KINDS = (PostKind.REPLY, PostKind.COMMENT)
SPARK_LABEL_CHARS = 40
CHANNEL_ORDER = [Channel.RESEARCH, Channel.CREATING, Channel.COMMUNICATION, Channel.COLLABORATION]


def nudge_key_prefix(cohort_id: int) -> str:
    return f"insights-nudge:{cohort_id}:"


def post_channel(kind: str, in_group: bool) -> Channel:
    """`Post.channel`, the one rule, applied to a grouped row: a kind, in a group's space or not."""
    space = Thread(study_group_id=-1 if in_group else None)
    return Post(kind=kind, thread=space).channel


@dataclass
class Tally:
    """Knowledge items answered and answered correctly."""

    correct: int = 0
    asked: int = 0

    def add(self, correct: int, asked: int) -> None:
        self.correct += correct
        self.asked += asked

    @property
    def percent(self) -> float | None:
        return percent(self.correct, self.asked)


@dataclass(frozen=True)
class KnowledgeRound:
    """One knowledge check round of this cohort: Kirkpatrick level 2 pre → post → follow-ups."""

    label: str
    opens_at: datetime
    submitted: int
    average_percent: float | None
    hidden: bool
    baseline: bool


@dataclass
class Knowledge:
    # Week since the workshop (0 = the week after it) -> items, for this cohort and the others.
    weeks: dict[int, Tally]
    others: dict[int, Tally]
    baseline: Tally
    rounds: list[KnowledgeRound]
    # The exponential and power-law curves, and which one fits better (by AICc).
    curves: CurveChoice

    @property
    def fit(self) -> ForgettingFit | PowerLawFit | NoFit:
        return self.curves.chosen


@dataclass(frozen=True)
class ScaleResult:
    text: str
    answers: int
    mean: float | None = None
    agree_percent: float | None = None


@dataclass
class Reactions:
    """Kirkpatrick levels 1 (satisfaction and relevance, NPS) and 3 (applying it)."""

    likert: list[ScaleResult] = field(default_factory=list)
    nps: int | None = None
    nps_answers: int = 0
    behaviour: list[ScaleResult] = field(default_factory=list)


@dataclass(frozen=True)
class Behaviour:
    """Kirkpatrick level 3: of the people who answered a behaviour survey, those who agree (4 or
    5 of 5) with at least one of its statements about applying what they learned."""

    respondents: int
    applying: int
    hidden: bool

    @property
    def applying_percent(self) -> float | None:
        return None if self.hidden else percent(self.applying, self.respondents)


@dataclass(frozen=True)
class SparkResult:
    question: str
    kind: str
    offset_days: int
    delivered: int
    answered: int
    correct: int
    missed: int
    replies: int


@dataclass
class ParticipantActivity:
    enrolment: Enrolment
    posts: int
    replies: int
    reactions: int
    sparks_answered: int
    sparks_missed: int
    surveys_submitted: int
    surveys_missed: int
    last_active: datetime | None
    last_nudged: datetime | None
    # Missed within the at-risk window (the last `quiet_days` days): older misses are history.
    sparks_missed_recently: int = 0
    surveys_missed_recently: int = 0

    @property
    def user(self):
        return self.enrolment.user

    @property
    def group_name(self) -> str:
        group = self.enrolment.study_group
        return group.name if group else "No study group"


# Severity of a participant at risk, from the weight of their reasons (`CohortMetrics.at_risk`).
SEVERITIES = ((4, "High"), (2, "Medium"), (1, "Low"))


@dataclass(frozen=True)
class AtRisk:
    activity: ParticipantActivity
    reasons: list[str]
    score: int = 1

    @property
    def severity(self) -> str:
        return next(label for floor, label in SEVERITIES if self.score >= floor)


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
    def schedules(self) -> dict[int, tuple[datetime, datetime]]:
        """First start and last end of every cohort of the organisation, in one query."""
        rows = (
            WorkshopSession.objects.filter(cohort__organization_id=self.cohort.organization_id)
            .values("cohort_id")
            .annotate(start=Min("starts_at"), end=Max("ends_at"))
            .order_by()
        )
        return {row["cohort_id"]: (row["start"], row["end"]) for row in rows}

    @property
    def workshop_end(self) -> datetime | None:
        schedule = self.schedules.get(self.cohort.pk)
        return schedule[1] if schedule else None

    @cached_property
    def knowledge(self) -> Knowledge:
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
        org = self.cohort.organization_id
        round_rows = (
            Response.objects.filter(
                round__cohort=self.cohort,
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
            schedule = self.schedules.get(cohort_id)
            opens_at = row["round__opens_at"]
            is_baseline = schedule is not None and opens_at < schedule[0]
            if cohort_id == self.cohort.pk:
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
                if cohort_id == self.cohort.pk:
                    baseline.add(row["score"] or 0, row["max_score"])
                continue
            # Calendar days in UTC, as the rollups count them, so both lines share their weeks.
            days = max(
                (opens_at.astimezone(UTC).date() - schedule[1].astimezone(UTC).date()).days, 0
            )
            if cohort_id == self.cohort.pk:
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
                delivery__spark__cohort=self.cohort,
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
            schedule = self.schedules.get(cohort_id)
            if schedule is None:
                continue
            days = max((row["day"] - schedule[1].astimezone(UTC).date()).days, 0)
            if cohort_id == self.cohort.pk:
                own[days // 7].add(row["correct"], row["n"])
                own_days[days].add(row["correct"], row["n"])
            else:
                others[days // 7].add(row["correct"], row["n"])
        # The other cohorts come from the rollups (refreshed every 10 minutes, the same first-ask
        # rule): reading the whole organisation's answers here cost seconds at 2M records.
        for row in (
            RetentionPoint.objects.filter(organization_id=org, week__gte=0)
            .exclude(cohort=self.cohort)
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
        """Everyone's activity in the cohort, grouped per person and source, in one query.

        One UNION ALL of grouped queries (each scans only this cohort's rows), rather than a
        correlated subquery per participant, whose estimated cost grows with the cohort and makes
        PostgreSQL spend seconds compiling it with JIT. Every part has the same columns: person,
        source, two counts and a moment.
        """
        cohort = self.cohort

        def part(queryset: QuerySet, person: str, source: str, a, b, at) -> QuerySet:
            return (
                queryset.order_by()
                .values(uid=F(person), src=Value(source, output_field=CharField()))
                .annotate(a=a, b=b, at=at)
            )

        none = Value(0, output_field=IntegerField())
        posts = Post.objects.filter(thread__cohort=cohort, removed_at__isnull=True)
        deliveries = Delivery.objects.filter(spark__cohort=cohort)
        responses = Response.objects.filter(round__cohort=cohort, status=ResponseStatus.SUBMITTED)
        parts = [
            part(
                posts,
                "author_id",
                "posts",
                Count("pk", filter=Q(kind__in=OWN_POST_KINDS)),
                Count("pk", filter=Q(kind__in=REPLY_KINDS)),
                Max("created_at"),
            ),
            part(
                Reaction.objects.filter(post__thread__cohort=cohort),
                "user_id",
                "reactions",
                Count("pk"),
                none,
                Max("created_at"),
            ),
            part(
                deliveries,
                "participant_id",
                "sparks",
                Count("pk", filter=Q(outcome=DeliveryOutcome.ANSWERED)),
                Count("pk", filter=Q(outcome=DeliveryOutcome.MISSED)),
                Max("answer__created_at"),
            ),
            part(
                # Closed (expired) in the window; a row without its closing time, by its due time.
                deliveries.filter(outcome=DeliveryOutcome.MISSED).filter(
                    Q(closed_at__gte=self.quiet_since)
                    | Q(closed_at__isnull=True, due_at__gte=self.quiet_since)
                ),
                "participant_id",
                "sparks_missed_recently",
                Count("pk"),
                none,
                Max("closed_at"),
            ),
            part(responses, "participant_id", "surveys", Count("pk"), none, Max("submitted_at")),
            part(
                ReadMarker.objects.filter(thread__cohort=cohort),
                "user_id",
                "read",
                none,
                none,
                Max("read_at"),
            ),
            part(
                Notification.objects.filter(key__startswith=nudge_key_prefix(cohort.pk)),
                "user_id",
                "nudged",
                none,
                none,
                Max("created_at"),
            ),
            # Each closed round answered, with when it opened: missed rounds are the others.
            part(
                responses.filter(round__status=RoundStatus.CLOSED),
                "participant_id",
                "closed_answered",
                F("round_id"),
                none,
                Max("round__opens_at"),
            ),
            # Level 3: behaviour survey respondents, and whether they agree with any statement.
            part(
                responses.filter(round__survey__purpose=Purpose.BEHAVIOUR),
                "participant_id",
                "behaviour",
                Count(
                    "answers",
                    filter=Q(
                        answers__question__kind=QuestionKind.LIKERT,
                        answers__number__gte=AGREE_FROM,
                    ),
                ),
                Count("pk", distinct=True, filter=Q(round__survey__anonymous=True)),
                Max("submitted_at"),
            ),
            # b: 1 when the round closed within the at-risk window.
            Round.objects.filter(cohort=cohort, status=RoundStatus.CLOSED)
            .order_by()
            .values(
                uid=Value(None, output_field=IntegerField()),
                src=Value("closed_round", output_field=CharField()),
                a=F("pk"),
                b=Case(
                    When(closes_at__gte=self.quiet_since, then=Value(1)),
                    default=Value(0),
                    output_field=IntegerField(),
                ),
                at=F("opens_at"),
            ),
        ]
        found: dict[str, list[dict]] = defaultdict(list)
        for row in parts[0].union(*parts[1:], all=True).order_by():
            found[row["src"]].append(row)
        return found

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


# Charts: each reads only the sources it needs, so its CSV costs only those queries.


def _csv_url(metrics: CohortMetrics, chart_id: str) -> str:
    return reverse("insights:cohort_chart_csv", args=[metrics.cohort.pk, chart_id])


def _one_decimal(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _week_label(week: int, tally: Tally | None) -> str:
    # How many answers stand behind a week's score: a week of three answers wobbles.
    if tally is None or not tally.asked:
        return f"Week {week}"
    return f"Week {week} ({tally.asked} answer{'' if tally.asked == 1 else 's'})"


def retention_chart(metrics: CohortMetrics) -> Chart:
    knowledge = metrics.knowledge
    last_week = max([*knowledge.weeks, *knowledge.others, 0])
    weeks = list(range(last_week + 1))
    fit = knowledge.fit
    series = [
        Series(
            "This cohort", [_one_decimal(knowledge.weeks.get(w, Tally()).percent) for w in weeks]
        )
    ]
    if isinstance(fit, ForgettingFit):
        series.append(
            Series(
                "Fitted forgetting curve", [round(fit.score_at(7 * w), 1) for w in weeks], "dashed"
            )
        )
        summary = (
            f"Scores fall with a half-life of {fit.half_life_days:.0f} days towards a floor of "
            f"{fit.floor:.0f}%, from {fit.s0:.0f}% right after the workshop (fitted to the "
            f"answers of {fit.points} days)."
        )
    elif isinstance(fit, PowerLawFit):
        series.append(
            Series(
                "Fitted forgetting curve (power law)",
                [round(fit.score_at(7 * w), 1) for w in weeks],
                "dashed",
            )
        )
        summary = (
            f"Scores fall fast at first, then ever more slowly, towards a floor of "
            f"{fit.floor:.0f}%, from {fit.s0:.0f}% right after the workshop (fitted to the "
            f"answers of {fit.points} days)."
        )
    else:
        summary = fit.reason
    if knowledge.curves.summary:
        summary += " " + knowledge.curves.summary
    if knowledge.baseline.asked:
        baseline = knowledge.baseline.percent
        series.append(Series("Before the workshop (baseline)", [baseline] * len(weeks), "dashed"))
        summary += f" Before the workshop: {baseline:.0f}%."
    series.append(
        Series(
            "Other cohorts of the organisation",
            [_one_decimal(knowledge.others.get(w, Tally()).percent) for w in weeks],
            "faint",
        )
    )
    return Chart(
        id="retention",
        title="Retention: average knowledge score by weeks since the workshop",
        kind="line",
        x_label="Weeks since the workshop",
        y_label="Average knowledge score (%)",
        labels=[_week_label(w, knowledge.weeks.get(w)) for w in weeks],
        series=series,
        summary=summary,
        y_min=0,
        y_max=100,
        unit="%",
        csv_url=_csv_url(metrics, "retention"),
        fresh_at=metrics.now,
        notes=[
            "From knowledge checks (survey rounds) and knowledge sparks: the share of questions "
            "answered correctly."
        ],
    )


def knowledge_rounds_chart(metrics: CohortMetrics) -> Chart:
    rounds = [r for r in metrics.knowledge.rounds if not r.hidden]
    return Chart(
        id="knowledge",
        title="Level 2, learning: knowledge checks before and after",
        kind="bar",
        x_label="Knowledge check",
        y_label="Average score (%)",
        labels=[r.label for r in rounds],
        series=[Series("Average score", [r.average_percent for r in rounds])],
        summary=" → ".join(f"{r.label} {r.average_percent:.0f}%" for r in rounds),
        y_min=0,
        y_max=100,
        unit="%",
        csv_url=_csv_url(metrics, "knowledge"),
        fresh_at=metrics.now,
    )


def channels_chart(metrics: CohortMetrics) -> Chart:
    weeks = metrics.channel_weeks
    tz = metrics.cohort.tz
    labels = [f"Week of {week.astimezone(tz):%-d %b %Y}" for week in weeks]
    totals = {c: sum(w[c] for w in weeks.values()) for c in CHANNEL_ORDER}
    busiest = max(CHANNEL_ORDER, key=totals.__getitem__) if weeks else None
    return Chart(
        id="channels",
        title="Social learning: posts per week by channel",
        kind="stacked-bar",
        x_label="Week",
        y_label="Posts",
        labels=labels,
        series=[Series(c.label, [w[c] for w in weeks.values()]) for c in CHANNEL_ORDER],
        summary=(
            f"{sum(totals.values())} posts over {len(weeks)} weeks; most in "
            f"{busiest.label.lower()}."
            if busiest
            else ""
        ),
        csv_url=_csv_url(metrics, "channels"),
        fresh_at=metrics.now,
    )


def groups_chart(metrics: CohortMetrics) -> Chart:
    by_group: dict[str, list[ParticipantActivity]] = defaultdict(list)
    for row in metrics.participants:
        by_group[row.group_name].append(row)
    names = sorted(by_group)

    def per_member(attribute: str) -> list[float | None]:
        return [
            round(sum(getattr(r, attribute) for r in by_group[n]) / len(by_group[n]), 1)
            for n in names
        ]

    active = [
        round(
            100
            * sum(1 for r in by_group[n] if r.last_active and r.last_active >= metrics.quiet_since)
            / len(by_group[n]),
            1,
        )
        for n in names
    ]
    return Chart(
        id="groups",
        title="Study groups compared: activity per member",
        kind="bar",
        x_label="Study group",
        y_label="Per member",
        labels=names,
        series=[
            Series("Posts per member", per_member("posts")),
            Series("Replies per member", per_member("replies")),
            Series("Reactions per member", per_member("reactions")),
        ],
        summary=", ".join(
            f"{n}: {len(by_group[n])} members, {a:.0f}% active in the last "
            f"{metrics.quiet_days} days"
            for n, a in zip(names, active, strict=True)
        ),
        csv_url=_csv_url(metrics, "groups"),
        fresh_at=metrics.now,
    )


def sparks_chart(metrics: CohortMetrics) -> Chart:
    sparks = metrics.sparks
    totals = {
        name: sum(getattr(s, name) for s in sparks)
        for name in ("delivered", "answered", "correct", "replies")
    }
    return Chart(
        id="sparks",
        title="Sparks: delivered, answered, correct and the replies they sparked",
        kind="bar",
        x_label="Spark",
        y_label="Count",
        labels=[
            f"{s.offset_days} days after: {Truncator(s.question).chars(SPARK_LABEL_CHARS)}"
            for s in sparks
        ],
        series=[
            Series("Delivered", [s.delivered for s in sparks]),
            Series("Answered", [s.answered for s in sparks]),
            Series(
                "Correct",
                [s.correct if s.kind == SparkKind.KNOWLEDGE else None for s in sparks],
            ),
            Series("Replies sparked", [s.replies for s in sparks]),
        ],
        summary=(
            f"{totals['delivered']} delivered, {totals['answered']} answered, "
            f"{totals['correct']} correct, {totals['replies']} replies sparked."
        ),
        csv_url=_csv_url(metrics, "sparks"),
        fresh_at=metrics.now,
    )


CHARTS = {
    "retention": retention_chart,
    "knowledge": knowledge_rounds_chart,
    "channels": channels_chart,
    "groups": groups_chart,
    "sparks": sparks_chart,
}


def participant_activity_rows(metrics: CohortMetrics):
    yield [
        "Name",
        "Email",
        "Study group",
        "Posts",
        "Replies",
        "Reactions",
        "Sparks answered",
        "Sparks missed",
        "Surveys submitted",
        "Surveys missed",
        "Last active",
        "Last nudged",
    ]
    for row in metrics.participants:
        yield [
            row.user.name,
            row.user.email,
            row.group_name,
            row.posts,
            row.replies,
            row.reactions,
            row.sparks_answered,
            row.sparks_missed,
            row.surveys_submitted,
            row.surveys_missed,
            row.last_active.isoformat() if row.last_active else "",
            row.last_nudged.isoformat() if row.last_nudged else "",
        ]


# One participant's page: what they did, in time order, and their scores over time.


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "post", "spark" or "survey"
    title: str
    detail: str = ""
    url: str = ""
    correct: bool | None = None


@dataclass
class ParticipantTimeline:
    entries: list[TimelineEntry]
    posts_shown: int
    posts_total: int
    scores: Chart


TIMELINE_POSTS = 100


def participant_timeline(
    cohort: Cohort, user, *, now: datetime, enrolment_pk: int
) -> ParticipantTimeline:
    """Their newest posts, every spark answer and every submitted survey: three queries and a
    count, whatever they have done."""
    posts_qs = Post.objects.filter(author=user, thread__cohort=cohort, removed_at__isnull=True)
    posts_total = posts_qs.count()
    posts = list(posts_qs.select_related("thread").order_by("-created_at", "-pk")[:TIMELINE_POSTS])
    answers = list(
        SparkAnswer.objects.filter(delivery__participant=user, delivery__spark__cohort=cohort)
        .select_related("delivery__spark")
        .order_by("created_at")
    )
    responses = list(
        Response.objects.filter(
            participant=user, round__cohort=cohort, status=ResponseStatus.SUBMITTED
        )
        .select_related("round__survey")
        .order_by("submitted_at")
    )
    entries = [
        TimelineEntry(
            at=p.created_at,
            kind="post",
            title=f"{p.get_kind_display()} in “{p.thread.title}”",
            # As a reader sees it: no Markdown or mention syntax.
            detail=post_excerpt(p.body),
            url=reverse("discussions:thread", args=[cohort.pk, p.thread_id]),
        )
        for p in posts
    ]
    entries += [
        TimelineEntry(
            at=a.created_at,
            kind="spark",
            title=f"Answered the spark “{a.delivery.spark.question}”",
            detail=f"ask {a.delivery.attempt}",
            correct=a.is_correct,
        )
        for a in answers
    ]
    entries += [
        TimelineEntry(
            at=r.submitted_at,
            kind="survey",
            title=f"Submitted {r.round.survey.title} · {r.round.label}",
            detail="" if r.score_percent is None else f"score {r.score_percent}%",
        )
        # An anonymous survey promised totals only: no one's answer appears on their own page.
        for r in responses
        if not r.round.survey.anonymous
    ]
    entries.sort(key=lambda e: e.at, reverse=True)
    scored = [
        (r.submitted_at, f"{r.round.survey.title} · {r.round.label}", r.score_percent)
        for r in responses
        if r.score_percent is not None and not r.round.survey.anonymous
    ]
    scored += [
        (
            a.created_at,
            f"Spark: {a.delivery.spark.question}",
            100.0 if a.is_correct else 0.0,
        )
        for a in answers
        if a.is_correct is not None
    ]
    scored.sort(key=lambda item: item[0])
    tz = cohort.tz
    scores = Chart(
        id="scores",
        title="Knowledge scores over time",
        kind="line",
        x_label="When",
        y_label="Score (%)",
        labels=[f"{at.astimezone(tz):%-d %b %Y}: {label}" for at, label, _ in scored],
        series=[Series("Score", [score for _, _, score in scored])],
        summary=(f"{len(scored)} scored answers; latest {scored[-1][2]:.0f}%." if scored else ""),
        y_min=0,
        y_max=100,
        unit="%",
        fresh_at=now,
        notes=["A knowledge check counts its share correct; a knowledge spark 100% or 0%."],
        csv_url=reverse("insights:cohort_participant_scores_csv", args=[cohort.pk, enrolment_pk]),
    )
    return ParticipantTimeline(
        entries=entries, posts_shown=len(posts), posts_total=posts_total, scores=scores
    )
