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
from demo.coaching import demo_coaching_create
from demo.conversations import demo_conversations_create
from demo.scale_copy import rows_insert
from demo.sparks import demo_sparks_create
from demo.surveys import demo_surveys_create
from notifications.models import Job, Notification, OutboxMessage
from notifications.outbox import outbox_discard
from notifications.services import BUNDLE_JOB
from socialtraining import clock

DEMO_SLUG = "demo"
BENCH_SLUG = "bench"
PASSWORD = "social-training-demo"
DEMO_DOMAIN = "demo.test"
BENCH_DOMAIN = "bench.demo.test"
BENCH_MANAGER = "bench-manager@demo.test"
DEMO_LOGINS = ("manager@demo.test", "instructor@demo.test", "participant@demo.test")
# A fixed seed: every run builds the same people, groups and names.
SEED = 20250601
BATCH_SIZE = 5000

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
    users = [User(email=email, display_name=name, password=password, date_joined=joined)
             for email, name in rows]  # fmt: skip
    # COPY on PostgreSQL: the benchmark organisation has 50,000 people.
    rows_insert(User, users, batch_size=BATCH_SIZE)
    rows_insert(
        EmailAddress,
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users],
        batch_size=BATCH_SIZE,
    )
    rows_insert(
        Membership,
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
    outbox_discard(OutboxMessage.objects.filter(user__in=people))
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
