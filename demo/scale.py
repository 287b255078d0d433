"""The benchmark organisation's activity: about 40 records per participant, spread over cohorts
and time, so the insights dashboards are measured on 2,000,000 rows at `seed_demo --scale 50000`.

Activity records are posts (openings, replies, comments, spark answers posted into their thread),
reactions, spark deliveries, spark answers and submitted survey responses. Survey answers and
picked choices are written too but not counted: they are parts of a response.

Cohorts are processed `COHORTS_PER_CHUNK` at a time: each chunk is planned in memory, then written
with one COPY per model on PostgreSQL (`demo.scale_copy`; elsewhere one bulk insert split every
`ROWS_PER_INSERT` rows), so memory and the number of queries per chunk stay bounded whatever the
scale. Threads get their counters from the chunk's rows before they are written. Every row is
written as the app would have left it by `now` (due rows done, rounds closed or open), with
timestamps after the enrolment, so seeding sends nothing and the pages work on it.
"""

from __future__ import annotations

import random
import time as clock
from collections import defaultdict
from datetime import datetime, time, timedelta

from django.db.models import Max, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce

from accounts.models import Organization, User
from cohorts.models import Cohort, CohortRole, Enrolment, WorkshopSession
from demo.scale_copy import rows_insert
from demo.scale_plan import Chunk, CohortPlan, plan_cohort, seed_html
from demo.seeding import local_datetime
from discussions.models import Post, Reaction, Thread
from sparks.models import Delivery, Spark, SparkAnswer, SparkChoice, SparkThread
from surveys.models import (
    Answer,
    Choice,
    Question,
    Response,
    ResponseStatus,
    Round,
    RoundEvent,
    Survey,
)

ACTIVITY_PER_PARTICIPANT = 40
COHORTS_PER_CHUNK = 10
ROWS_PER_INSERT = 5000
# The most queries one chunk may cost with every model under ROWS_PER_INSERT rows (tests hold it).
MAX_QUERIES_PER_CHUNK = 30
# Workshops from a year ago to two months ahead.
FIRST_WORKSHOP_DAY = -365
WORKSHOP_SPAN_DAYS = 425


def bench_workshop_day(index: int, cohort_count: int) -> int:
    """Days from today of cohort `index`'s first session.

    Spread evenly from a year ago to two months ahead. With four cohorts or more, the last three
    are placed so every phase occurs: one two months after its workshop (the cohort dashboard's
    benchmark), one in its workshop right now, one ahead.
    """
    day = FIRST_WORKSHOP_DAY + (index * WORKSHOP_SPAN_DAYS) // cohort_count
    if cohort_count >= 4:
        if index == cohort_count - 3:
            return -60
        if index == cohort_count - 2:
            return 0
        if index == cohort_count - 1:
            return max(day, 14)
    return day


def bench_sessions_build(
    *, cohort: Cohort, index: int, cohort_count: int, day: int, now: datetime
) -> list[WorkshopSession]:
    """One or two workshop days from 09:00 to 16:00 local; the in-progress cohort's runs now."""
    if cohort_count >= 4 and index == cohort_count - 2:
        return [
            WorkshopSession(
                cohort=cohort,
                title="Day 1",
                starts_at=now - timedelta(hours=2),
                ends_at=now + timedelta(hours=5),
                location="Training room",
            )
        ]
    return [
        WorkshopSession(
            cohort=cohort,
            title=f"Day {n + 1}",
            starts_at=local_datetime(cohort.tz, now, day + n, time(9, 0)),
            ends_at=local_datetime(cohort.tz, now, day + n, time(16, 0)),
            location="Training room",
        )
        for n in range(1 + index % 2)
    ]


def bench_activity_create(
    *, organization: Organization, cohorts: list[Cohort], now: datetime, seed: int
) -> dict[str, float]:
    """Write the activity of `cohorts` (the scaled cohorts of `organization`, in index order)."""
    started = clock.perf_counter()
    rng = random.Random(seed)
    weights = [_activity_weight(c, now) for c in cohorts]
    mean_weight = sum(weights) / len(weights) if weights else 1.0
    counts: dict[str, int] = defaultdict(int)
    for start in range(0, len(cohorts), COHORTS_PER_CHUNK):
        ids = [c.pk for c in cohorts[start : start + COHORTS_PER_CHUNK]]
        chunk_weights = dict(zip(ids, weights[start : start + COHORTS_PER_CHUNK], strict=True))
        plans = _chunk_plans(ids=ids, now=now, rng=rng)
        chunk = Chunk()
        for plan in plans:
            target = ACTIVITY_PER_PARTICIPANT * len(plan.participants)
            target = round(target * chunk_weights[plan.cohort.pk] / mean_weight)
            plan_cohort(chunk, plan, target=target, now=now, rng=rng)
        for key, n in _chunk_write(chunk).items():
            counts[key] += n
        counts["chunks"] += 1
    counts["scaled activity records"] = sum(
        counts[key]
        for key in ("posts", "reactions", "spark deliveries", "spark answers", "survey responses")
    )
    # bench/run.py reads this from seed_demo's summary as seed_activity_seconds.
    counts["activity seconds"] = round(clock.perf_counter() - started, 1)
    return dict(counts)


def _activity_weight(cohort: Cohort, now: datetime) -> float:
    """How much a cohort has done by now, relative to others: little before class, most after."""
    if cohort.created_at >= now:
        # Not open yet: nothing can have happened, and its share goes to the others.
        return 0.0
    days_since = (now - cohort.last_session_end).total_seconds() / 86400
    if days_since < -1:
        return 0.25
    if days_since < 0:
        return 0.5
    return 0.6 + 0.6 * min(days_since, 120) / 120


def _chunk_plans(*, ids: list[int], now: datetime, rng: random.Random) -> list[CohortPlan]:
    """Load the chunk's cohorts and members (two queries) and move enrolments and sign-up dates
    to before the cohort's activity (two updates): the base seed wrote them as `now`."""
    cohorts = Cohort.objects.filter(pk__in=ids).with_schedule().order_by("pk")
    # A cohort is created about a month before its workshop; nobody enrols after today.
    enrolled_at = Subquery(Cohort.objects.filter(pk=OuterRef("cohort_id")).values("created_at"))
    Enrolment.objects.filter(cohort_id__in=ids).update(created_at=enrolled_at)
    Enrolment.objects.filter(cohort_id__in=ids, created_at__gt=now).update(created_at=now)
    first_enrolment = Enrolment.objects.filter(user_id=OuterRef("pk")).order_by("created_at")
    User.objects.filter(enrolments__cohort_id__in=ids).update(
        date_joined=Coalesce(Subquery(first_enrolment.values("created_at")[:1]), "date_joined")
    )
    members: dict[int, list[tuple[int, str, int | None]]] = defaultdict(list)
    for row in (
        Enrolment.objects.filter(cohort_id__in=ids)
        .values_list("cohort_id", "user_id", "role", "study_group_id")
        .order_by("cohort_id", "user_id")
    ):
        members[row[0]].append(row[1:])
    plans = []
    for cohort in cohorts:
        participants = [u for u, role, _ in members[cohort.pk] if role == CohortRole.PARTICIPANT]
        instructors = [u for u, role, _ in members[cohort.pk] if role == CohortRole.INSTRUCTOR]
        groups: dict[int, list[int]] = defaultdict(list)
        for user_id, _, group_id in members[cohort.pk]:
            if group_id:
                groups[group_id].append(user_id)
        plans.append(
            CohortPlan(
                cohort=cohort,
                first=cohort.first_session_start,
                last=cohort.last_session_end,
                enrolled=min(cohort.created_at, now),
                instructor_id=instructors[0] if instructors else None,
                participants=participants,
                groups=dict(groups),
                engagement={u: rng.betavariate(2, 2) for u in participants},
            )
        )
    return plans


def _chunk_write(chunk: Chunk) -> dict[str, int]:
    """One insert per model (`rows_insert`), parents first: each row gets its pk as it is
    written, and a child's foreign key is read from its parent."""

    def insert(model, rows: list) -> None:
        rows_insert(model, rows, batch_size=ROWS_PER_INSERT)

    insert(Survey, chunk.surveys)
    insert(Question, chunk.questions)
    insert(Choice, chunk.choices)
    insert(Round, chunk.rounds)
    insert(RoundEvent, chunk.events)
    insert(Response, chunk.responses)
    insert(Answer, chunk.answers)
    insert(Spark, chunk.sparks)
    insert(SparkChoice, chunk.spark_choices)
    _threads_count(chunk)
    insert(Thread, chunk.threads)
    insert(SparkThread, chunk.spark_threads)
    insert(Delivery, chunk.deliveries)
    # The key spark_answer gives the post, so a replayed answer would find it.
    for delivery, post, _ in chunk.spark_answers:
        post.idempotency_key = f"spark-answer:{delivery.pk}"
    # The HTML the services store with every post (the seed's texts mention no one).
    for post in (*chunk.posts, *chunk.comments):
        post.body_html = seed_html(post.body)
    insert(Post, chunk.posts)
    insert(Post, chunk.comments)
    for _, post, answer in chunk.spark_answers:
        answer.post = post
    insert(SparkAnswer, [answer for _, _, answer in chunk.spark_answers])
    insert(Reaction, [reaction for _, reaction in chunk.reactions])
    answer_picks = Answer.choices.through
    insert(answer_picks, [answer_picks(answer_id=a.pk, choice_id=c.pk) for a, c in chunk.picks])
    spark_picks = SparkAnswer.choices.through
    insert(
        spark_picks,
        [spark_picks(sparkanswer_id=a.pk, sparkchoice_id=c.pk) for a, c in chunk.spark_picks],
    )
    return {
        "posts": len(chunk.posts) + len(chunk.comments),
        "reactions": len(chunk.reactions),
        "spark deliveries": len(chunk.deliveries),
        "spark answers": len(chunk.spark_answers),
        "survey responses": len(chunk.responses),
        "survey answers": len(chunk.answers),
        "survey rounds": len(chunk.rounds),
        "sparks": len(chunk.sparks),
    }


def _threads_count(chunk: Chunk) -> None:
    """Set each thread's counters from the chunk's rows before it is written, as
    `discussions.posting.threads_recount` sets them from the table after (replies and comments,
    reactions, the latest post): recounting millions of rows in the database cost minutes."""
    latest: dict[int, datetime] = {}
    for thread in chunk.threads:
        thread.reply_count = thread.reaction_count = 0
    for post in (*chunk.posts, *chunk.comments):
        thread = post.thread
        thread.reply_count += not post.is_opening
        if id(thread) not in latest or post.created_at > latest[id(thread)]:
            latest[id(thread)] = post.created_at
    for post, _ in chunk.reactions:
        post.thread.reaction_count += 1
    for thread in chunk.threads:
        thread.last_activity_at = latest.get(id(thread), thread.created_at)


def activity_records_count(*, organization: Organization) -> int:
    """Every activity record of the organisation, counted in the database (five queries)."""
    return (
        Post.objects.filter(thread__cohort__organization=organization).count()
        + Reaction.objects.filter(post__thread__cohort__organization=organization).count()
        + Delivery.objects.filter(spark__cohort__organization=organization).count()
        + SparkAnswer.objects.filter(delivery__spark__cohort__organization=organization).count()
        + Response.objects.filter(
            status=ResponseStatus.SUBMITTED, round__cohort__organization=organization
        ).count()
    )


def bench_scaled_cohorts(organization: Organization) -> list[Cohort]:
    """The organisation's scheduled cohorts, in the order they were made, with their schedule."""
    return list(
        Cohort.objects.filter(organization=organization)
        .annotate(first_session_start=Min("sessions__starts_at"))
        .annotate(last_session_end=Max("sessions__ends_at"))
        .filter(first_session_start__isnull=False)
        .order_by("pk")
    )
