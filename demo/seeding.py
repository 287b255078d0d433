"""Build the demo organisation and the large benchmark organisation for `manage.py seed_demo`.

Both are built with bulk inserts and one password hash shared by every account: hashing costs
about 0.3 s per password, which would dominate a seed of thousands of people.
"""

from __future__ import annotations

import random
import unicodedata
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse

from accounts.models import Membership, Organization, Role, User
from cohorts.models import Cohort, CohortRole, Enrolment, StudyGroup, WorkshopSession
from demo import scale
from demo.coaching import demo_coaching_create
from demo.conversations import bench_conversations_create, demo_conversations_create
from demo.sparks import demo_sparks_create
from demo.surveys import bench_survey_create, demo_surveys_create
from discussions.models import Thread
from notifications.models import Job, Notification, OutboxMessage
from notifications.services import BUNDLE_JOB
from socialtraining import clock

DEMO_SLUG = "demo"
BENCH_SLUG = "bench"
PASSWORD = "social-training-demo"
DEMO_DOMAIN = "demo.test"
BENCH_DOMAIN = "bench.demo.test"
BENCH_MANAGER = "bench-manager@demo.test"
BENCH_SURVEY_COHORT = "Annual refresher (all staff)"
DEMO_LOGINS = ("manager@demo.test", "instructor@demo.test", "participant@demo.test")
# A fixed seed: every run builds the same people, groups and names.
SEED = 20250601
BATCH_SIZE = 5000
PARTICIPANTS_PER_COHORT = 100
COHORTS_PER_INSTRUCTOR = 5
BENCH_GROUP_SIZE = 5
# Cohorts are built this many at a time so a 50,000-person seed never holds everyone in memory.
BENCH_COHORTS_PER_CHUNK = 50

FIRST_NAMES = (
    "Amara", "Ben", "Chloé", "Daniel", "Elif", "Fatima", "George", "Hannah", "Ibrahim", "Julia",
    "Kenji", "Laura", "Mateo", "Nadia", "Oliver", "Paula", "Quentin", "Rosa", "Samir", "Tessa",
    "Umar", "Valentina", "William", "Xin", "Yasmin", "Zoe", "Aisha", "Bruno", "Carmen", "Dmitri",
    "Emma", "Felix", "Grace", "Hugo", "Ines", "Jonas", "Katarzyna", "Liam", "Maya", "Niamh",
    "Omar", "Pia", "Rahul", "Sofia", "Thomas", "Ulrike", "Victor", "Wen", "Yusuf", "Zara",
)  # fmt: skip
LAST_NAMES = (
    "Adeyemi", "Bauer", "Castillo", "Dubois", "Eriksen", "Fischer", "García", "Hughes", "Ivanova",
    "Jensen", "Kowalski", "Lindqvist", "Müller", "Nakamura", "O'Brien", "Patel", "Quinn", "Rossi",
    "Schmidt", "Tanaka", "Usman", "Van Dijk", "Walsh", "Yilmaz", "Zhang", "Ahmed", "Brennan",
    "Chen", "Delgado", "Evans", "Fernández", "Gallagher", "Hoffmann", "Iqbal", "Jovanović", "Khan",
    "Larsen", "Moreau", "Novak", "Okafor", "Petrov", "Reyes", "Santos", "Thompson", "Ueda",
    "Vogel", "Wright", "Xu", "Young", "Ziegler",
)  # fmt: skip
GROUP_NAMES = (
    "Aspen", "Birch", "Cedar", "Elm", "Hazel", "Juniper", "Linden", "Maple", "Oak", "Rowan",
    "Spruce", "Willow", "Alder", "Beech", "Cypress", "Fir", "Hawthorn", "Larch", "Poplar", "Yew",
)  # fmt: skip
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


@dataclass(frozen=True)
class SessionPlan:
    day: int  # days from today in the cohort's time zone
    starts: time
    ends: time
    title: str


@dataclass(frozen=True)
class CohortPlan:
    name: str
    description: str
    time_zone: str
    location: str
    sessions: tuple[SessionPlan, ...]
    created_days_ago: int
    instructors: tuple[str, ...]
    participant_count: int
    study_groups: bool


DEMO_STAFF = {
    "manager@demo.test": ("Morgan Ellis", Role.MANAGER),
    "instructor@demo.test": ("Priya Raman", Role.INSTRUCTOR),
    "tomas.ferreira@demo.test": ("Tomás Ferreira", Role.INSTRUCTOR),
}
DEMO_PARTICIPANT = ("participant@demo.test", "Sam Whitfield")

DEMO_COHORTS = (
    CohortPlan(
        name="Giving feedback that lands",
        description=(
            "Two mornings on feedback people can act on: specific, timely and kind. Before class, "
            "read the two short articles pinned in the discussion and share one piece of feedback "
            "you wish you had given differently."
        ),
        time_zone="Europe/London",
        location="Northwind House, London — Room 3.02",
        sessions=(
            SessionPlan(10, time(9, 30), time(12, 30), "Morning 1: what makes feedback land"),
            SessionPlan(11, time(9, 30), time(12, 30), "Morning 2: practice with real cases"),
        ),
        created_days_ago=12,
        instructors=("tomas.ferreira@demo.test",),
        participant_count=20,
        study_groups=False,
    ),
    CohortPlan(
        name="Leading hybrid teams",
        description=(
            "How to run a team that is never all in one room: rituals, written communication, "
            "fair visibility and trust. After the workshop your study group meets every two weeks "
            "to try one practice and report back."
        ),
        time_zone="Europe/Berlin",
        location="Northwind Berlin, Friedrichstraße — Spree room",
        sessions=(
            SessionPlan(-3, time(10, 0), time(16, 0), "Day 1: the hybrid team contract"),
            SessionPlan(-2, time(9, 0), time(13, 0), "Day 2: meetings, writing and trust"),
        ),
        created_days_ago=40,
        instructors=("instructor@demo.test",),
        participant_count=22,
        study_groups=True,
    ),
    CohortPlan(
        name="Coaching conversations",
        description=(
            "An afternoon on the GROW model and the art of the open question. Two months on, spark "
            "questions ask how your coaching conversations are going at work."
        ),
        time_zone="America/New_York",
        location="Northwind New York, 5th floor training room",
        sessions=(SessionPlan(-60, time(13, 0), time(17, 0), "Coaching with GROW"),),
        created_days_ago=95,
        instructors=("tomas.ferreira@demo.test", "instructor@demo.test"),
        participant_count=18,
        study_groups=True,
    ),
)


def organization_exists(*, slug: str) -> bool:
    return Organization.objects.filter(slug=slug).exists()


def seeded_people(*, slug: str) -> QuerySet[User]:
    """The accounts a seed of `slug` creates; their addresses are on reserved .test domains."""
    if slug == BENCH_SLUG:
        return User.objects.filter(Q(email__endswith=f"@{BENCH_DOMAIN}") | Q(email=BENCH_MANAGER))
    return User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}").exclude(email=BENCH_MANAGER)


@transaction.atomic
def organization_delete(*, slug: str) -> None:
    Organization.objects.filter(slug=slug).delete()
    seeded_people(slug=slug).delete()


def email_for(name: str, domain: str = DEMO_DOMAIN) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    local = ".".join(part for part in ascii_name.lower().replace("'", "").split())
    return f"{local}@{domain}"


def split_into_groups(items: Sequence, target_size: int) -> list[list]:
    """Deal items round-robin into groups as close to `target_size` as the count allows."""
    group_count = max(1, round(len(items) / target_size))
    return [list(items[i::group_count]) for i in range(group_count)]


def local_datetime(tz: zoneinfo.ZoneInfo, now: datetime, day: int, at: time) -> datetime:
    local_day = now.astimezone(tz).date() + timedelta(days=day)
    return datetime.combine(local_day, at, tzinfo=tz)


def people_create(
    rows: Iterable[tuple[str, str]], *, organization: Organization, role: str, password: str
) -> list[User]:
    """Create users (email, display name) with a verified primary address and a membership."""
    joined = clock.now() - timedelta(days=120)
    users = User.objects.bulk_create(
        [User(email=email, display_name=name, password=password, date_joined=joined)
         for email, name in rows],
        batch_size=BATCH_SIZE,
    )  # fmt: skip
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users],
        batch_size=BATCH_SIZE,
    )
    Membership.objects.bulk_create(
        [Membership(organization=organization, user=u, role=role) for u in users],
        batch_size=BATCH_SIZE,
    )
    return users


@transaction.atomic
def demo_organization_create() -> dict[str, int]:
    """Northwind Learning: a manager, two instructors and three cohorts in different phases."""
    rng = random.Random(SEED)
    now = clock.now()
    password = make_password(PASSWORD)
    seeded_people(slug=DEMO_SLUG).delete()
    org = Organization.objects.create(
        name="Northwind Learning", slug=DEMO_SLUG, created_at=now - timedelta(days=120)
    )
    staff: dict[str, User] = {}
    for email, (name, role) in DEMO_STAFF.items():
        [staff[email]] = people_create(
            [(email, name)], organization=org, role=role, password=password
        )
    names = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
    wanted = sum(plan.participant_count for plan in DEMO_COHORTS) - 1
    participant_rows = [DEMO_PARTICIPANT] + [(email_for(n), n) for n in rng.sample(names, wanted)]
    participants = people_create(
        participant_rows, organization=org, role=Role.PARTICIPANT, password=password
    )
    demo_participant = participants[0]
    others = participants[1:]
    cohorts: dict[str, Cohort] = {}
    group_count = 0
    for plan in DEMO_COHORTS:
        cohort = Cohort.objects.create(
            organization=org,
            name=plan.name,
            description=plan.description,
            time_zone=plan.time_zone,
            created_by=staff["manager@demo.test"],
            created_at=now - timedelta(days=plan.created_days_ago),
        )
        cohorts[plan.name] = cohort
        WorkshopSession.objects.bulk_create(
            WorkshopSession(
                cohort=cohort,
                title=s.title,
                starts_at=local_datetime(cohort.tz, now, s.day, s.starts),
                ends_at=local_datetime(cohort.tz, now, s.day, s.ends),
                location=plan.location,
            )
            for s in plan.sessions
        )
        # participant@demo.test takes the cohort instructor@demo.test teaches (just finished).
        if plan.name == "Leading hybrid teams":
            members = [demo_participant, *others[: plan.participant_count - 1]]
            others = others[plan.participant_count - 1 :]
        else:
            members, others = others[: plan.participant_count], others[plan.participant_count :]
        enrolments = [
            Enrolment(cohort=cohort, user=staff[email], role=CohortRole.INSTRUCTOR)
            for email in plan.instructors
        ]
        group_of: dict[int, StudyGroup] = {}
        if plan.study_groups:
            shuffled = rng.sample(members, len(members))
            for name, group_members in zip(
                GROUP_NAMES, split_into_groups(shuffled, 5), strict=False
            ):
                group = StudyGroup.objects.create(cohort=cohort, name=name)
                group_count += 1
                group_of.update({u.pk: group for u in group_members})
        enrolments += [
            Enrolment(cohort=cohort, user=u, study_group=group_of.get(u.pk)) for u in members
        ]
        Enrolment.objects.bulk_create(enrolments)
    notifications_create(staff=staff, participant=demo_participant, cohorts=cohorts, now=now)
    conversations = demo_conversations_create(
        cohorts=cohorts, participant=demo_participant, rng=rng, now=now
    )
    surveys = demo_surveys_create(
        cohorts=cohorts,
        participant=demo_participant,
        instructor=staff["instructor@demo.test"],
        rng=rng,
        now=now,
    )
    sparks = demo_sparks_create(
        cohorts=cohorts, instructor=staff["instructor@demo.test"], rng=rng, now=now
    )
    coaches, coaching = demo_coaching_create(
        organization=org,
        cohorts=cohorts,
        participant=demo_participant,
        password=password,
        rng=rng,
        now=now,
    )
    history_told(people=[*staff.values(), *participants, *coaches])
    return {
        "cohorts": len(cohorts),
        "participants": len(participants),
        "instructors": 2,
        "study groups": group_count,
        **conversations,
        **surveys,
        **sparks,
        **coaching,
    }


def history_told(*, people: list[User]) -> None:
    """What seeding wrote is history: its emails were sent long ago, in its own days, so nothing
    waits in the outbox, for a bundle or for a digest when the demo starts."""
    OutboxMessage.objects.filter(user__in=people).delete()
    Notification.objects.filter(user__in=people, emailed_at__isnull=True).update(
        emailed_at=F("created_at")
    )
    Job.objects.filter(kind=BUNDLE_JOB, target_id__in=[p.pk for p in people]).delete()


def notifications_create(
    *, staff: dict[str, User], participant: User, cohorts: dict[str, Cohort], now: datetime
) -> None:
    """A few in-app notifications, so every demo account's bell shows something."""
    hybrid = cohorts["Leading hybrid teams"]
    feedback = cohorts["Giving feedback that lands"]
    coaching = cohorts["Coaching conversations"]
    group = Enrolment.objects.get(cohort=hybrid, user=participant).study_group

    def url(cohort: Cohort) -> str:
        return reverse("cohorts:detail", args=[cohort.pk])

    rows = [
        (participant, f"welcome:{hybrid.pk}", f"Welcome to {hybrid.name}",
         "Your cohort's discussion is open: introduce yourself and say what you hope to change.",
         url(hybrid), 30, True),
        (participant, f"study-group:{group.pk}", f"You are in study group {group.name}",
         "Your study group keeps the conversation going after the workshop. Say hello!",
         url(hybrid), 2, False),
        (participant, f"workshop-over:{hybrid.pk}", "Thanks for taking part in the workshop",
         "The slides and the practice cases are in the cohort. One small change this week?",
         url(hybrid), 1, False),
        (staff["instructor@demo.test"], f"groups-ready:{hybrid.pk}",
         f"Study groups for {hybrid.name} are ready",
         "Participants were split into groups of four to six.", url(hybrid), 2, False),
        (staff["instructor@demo.test"], f"two-months:{coaching.pk}",
         f"{coaching.name}: two months since the workshop",
         "A good moment for an integration question.", url(coaching), 1, False),
        (staff["manager@demo.test"], f"starts-soon:{feedback.pk}",
         f"{feedback.name} starts in 10 days",
         "20 participants are enrolled; the pre-work discussion is open.", url(feedback), 0, False),
        (staff["manager@demo.test"], f"workshop-over:{hybrid.pk}",
         f"{hybrid.name}: the workshop has finished",
         "Study groups are set and follow-up has started.", url(hybrid), 2, True),
    ]  # fmt: skip
    Notification.objects.bulk_create(
        Notification(
            user=user,
            key=f"demo:{key}",
            title=title,
            body=body,
            url=link,
            created_at=now - timedelta(days=days_ago),
            read_at=now if read else None,
        )
        for user, key, title, body, link, days_ago, read in rows
    )


@transaction.atomic
def bench_organization_create(*, participants: int) -> dict[str, int]:
    """A large organisation: `participants` people in cohorts of 100, study groups of 5."""
    rng = random.Random(SEED)
    now = clock.now()
    password = make_password(PASSWORD)
    seeded_people(slug=BENCH_SLUG).delete()
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
