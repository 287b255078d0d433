"""The benchmark organisation: N participants in N/100 cohorts, bulk-inserted chunk by chunk, and
their activity (`demo.scale`)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from accounts.models import Organization, Role, User
from cohorts.models import Cohort, CohortRole, Enrolment, StudyGroup, WorkshopSession
from demo import scale
from demo.conversations import bench_conversations_create
from demo.seeding import (
    BATCH_SIZE,
    BENCH_DOMAIN,
    BENCH_MANAGER,
    BENCH_SLUG,
    FIRST_NAMES,
    LAST_NAMES,
    PASSWORD,
    SEED,
    people_create,
    seeded_people,
    split_into_groups,
)
from demo.surveys import bench_survey_create
from discussions.models import Thread
from socialtraining import clock

BENCH_SURVEY_COHORT = "Annual refresher (all staff)"
PARTICIPANTS_PER_COHORT = 100
COHORTS_PER_INSTRUCTOR = 5
BENCH_GROUP_SIZE = 5
# Cohorts are built this many at a time so a 50,000-person seed never holds everyone in memory.
BENCH_COHORTS_PER_CHUNK = 50
BENCH_TOPICS = (
    "Giving feedback that lands",
    "Leading hybrid teams",
    "Coaching conversations",
    "Running effective one-to-ones",
    "Difficult conversations",
    "Delegating with confidence",
    "Presenting to senior stakeholders",
    "Managing your first team",
    "Inclusive hiring",
    "Negotiation essentials",
)


BENCH_TIME_ZONES = (
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "Asia/Singapore",
    "Australia/Sydney",
)


@transaction.atomic
def bench_organization_create(*, participants: int) -> dict[str, int]:
    """A large organisation: `participants` people in cohorts of 100, study groups of 5."""
    rng = random.Random(SEED)
    now = clock.now()
    password = make_password(PASSWORD)
    seeded_people(slug=BENCH_SLUG).delete()
    with _bulk_writing():
        return _bench_organization_build(
            participants=participants, rng=rng, now=now, password=password
        )


@contextmanager
def _bulk_writing() -> Iterator[None]:
    """On PostgreSQL, for this transaction's millions of rows: commit without waiting for the
    disk, and (where the role may) skip the foreign-key triggers, whose deferred checks all ran
    at the commit. The seed builds every key from the rows it wrote, as a restore does
    (`pg_restore --disable-triggers`). Both settings go back to what they were after, so a test
    that seeds keeps its checks for what it writes next."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('synchronous_commit'), "
            "current_setting('session_replication_role'), current_setting('is_superuser')"
        )
        synchronous, replication, superuser = cursor.fetchone()
        cursor.execute("SET LOCAL synchronous_commit = off")
        if superuser == "on":
            cursor.execute("SET LOCAL session_replication_role = replica")
    # Put back only after a seed that worked: after a failure the transaction is aborted (its
    # rollback undoes SET LOCAL anyway), and a statement there would hide the real error.
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('synchronous_commit', %s, true)", [synchronous])
        if superuser == "on":
            cursor.execute("SELECT set_config('session_replication_role', %s, true)", [replication])


def _bench_organization_build(
    *, participants: int, rng: random.Random, now: datetime, password: str
) -> dict[str, int]:
    org = Organization.objects.create(
        name="Bench Industries", slug=BENCH_SLUG, created_at=now - timedelta(days=400)
    )
    cohort_count = max(1, participants // PARTICIPANTS_PER_COHORT)
    instructor_count = -(-cohort_count // COHORTS_PER_INSTRUCTOR)
    [manager] = people_create(
        [(BENCH_MANAGER, "Bench Manager")], organization=org, role=Role.MANAGER, password=password
    )
    instructors = people_create(
        [(f"instructor{i:04d}@{BENCH_DOMAIN}", _random_name(rng)) for i in range(instructor_count)],
        organization=org,
        role=Role.INSTRUCTOR,
        password=password,
    )
    sizes = [
        participants // cohort_count + (1 if i < participants % cohort_count else 0)
        for i in range(cohort_count)
    ]
    counts = {"cohorts": cohort_count, "participants": 0, "instructors": instructor_count}
    counts.update({"sessions": 0, "study groups": 0})
    for start in range(0, cohort_count, BENCH_COHORTS_PER_CHUNK):
        indexes = range(start, min(start + BENCH_COHORTS_PER_CHUNK, cohort_count))
        chunk = _bench_cohorts_create(
            org=org,
            indexes=indexes,
            cohort_count=cohort_count,
            sizes=sizes,
            first_participant=sum(sizes[:start]),
            instructors=instructors,
            manager=manager,
            password=password,
            rng=rng,
            now=now,
        )
        for key, n in chunk.items():
            counts[key] += n
    # The first cohort's workshop is five months past: its space is the busy one.
    busy = bench_conversations_create(
        cohort=Cohort.objects.filter(organization=org).earliest("pk"), rng=rng, now=now
    )
    counts["threads"] = Thread.objects.filter(cohort=busy.cohort).count()
    counts["replies in the busiest thread"] = busy.posts.filter(kind="reply").count()
    # An organisation-wide refresher: one round answered by up to 5,000 people, 20 questions each.
    refresher = Cohort.objects.create(
        organization=org,
        name=BENCH_SURVEY_COHORT,
        description="Everyone's yearly knowledge refresher.",
        created_by=manager,
        created_at=now - timedelta(days=30),
    )
    people = User.objects.filter(memberships__organization=org, memberships__role=Role.PARTICIPANT)
    round_ = bench_survey_create(organization_people=people, cohort=refresher, rng=rng, now=now)
    counts["refresher responses"] = round_.responses.count()
    activity = scale.bench_activity_create(
        organization=org, cohorts=scale.bench_scaled_cohorts(org), now=now, seed=SEED
    )
    counts |= activity
    counts["activity records"] = scale.activity_records_count(organization=org)
    return counts


def _random_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _bench_cohorts_create(
    *,
    org: Organization,
    indexes: range,
    cohort_count: int,
    sizes: list[int],
    first_participant: int,
    instructors: list[User],
    manager: User,
    password: str,
    rng: random.Random,
    now: datetime,
) -> dict[str, int]:
    plans = []
    for i in indexes:
        day = scale.bench_workshop_day(i, cohort_count)
        tz_name = BENCH_TIME_ZONES[i % len(BENCH_TIME_ZONES)]
        plans.append((i, day, tz_name))
    cohorts = Cohort.objects.bulk_create(
        [
            Cohort(
                organization=org,
                name=f"{BENCH_TOPICS[i % len(BENCH_TOPICS)]} #{i + 1}",
                description="A benchmark cohort.",
                time_zone=tz_name,
                created_by=manager,
                created_at=now + timedelta(days=day - 30),
            )
            for i, day, tz_name in plans
        ],
        batch_size=BATCH_SIZE,
    )
    sessions = []
    for cohort, (i, day, _) in zip(cohorts, plans, strict=True):
        sessions += scale.bench_sessions_build(
            cohort=cohort, index=i, cohort_count=cohort_count, day=day, now=now
        )
    WorkshopSession.objects.bulk_create(sessions, batch_size=BATCH_SIZE)

    rows = []
    number = first_participant
    for i, _, _ in plans:
        for _ in range(sizes[i]):
            rows.append((f"participant{number:06d}@{BENCH_DOMAIN}", _random_name(rng)))
            number += 1
    people = people_create(rows, organization=org, role=Role.PARTICIPANT, password=password)

    groups: list[StudyGroup] = []
    members_by_cohort: list[tuple[int, Cohort, list[User], list[list[User]]]] = []
    offset = 0
    for cohort, (i, day, _) in zip(cohorts, plans, strict=True):
        members = people[offset : offset + sizes[i]]
        offset += sizes[i]
        # Study groups form after the workshop; cohorts still before class have none yet.
        split = split_into_groups(members, BENCH_GROUP_SIZE) if day < 0 and members else []
        members_by_cohort.append((i, cohort, members, split))
        groups += [StudyGroup(cohort=cohort, name=f"Group {n + 1}") for n in range(len(split))]
    StudyGroup.objects.bulk_create(groups, batch_size=BATCH_SIZE)

    enrolments = []
    group_iter = iter(groups)
    for i, cohort, members, split in members_by_cohort:
        instructor = instructors[i // COHORTS_PER_INSTRUCTOR]
        enrolments.append(Enrolment(cohort=cohort, user=instructor, role=CohortRole.INSTRUCTOR))
        if split:
            for group_members in split:
                group = next(group_iter)
                enrolments += [
                    Enrolment(cohort=cohort, user=u, study_group=group) for u in group_members
                ]
        else:
            enrolments += [Enrolment(cohort=cohort, user=u) for u in members]
    Enrolment.objects.bulk_create(enrolments, batch_size=BATCH_SIZE)
    return {
        "participants": len(people),
        "sessions": len(sessions),
        "study groups": len(groups),
    }
