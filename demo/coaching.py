"""Demo coaches: line managers for part of the cohort two months past its workshop and one for
participant@demo.test in the cohort that just finished, with the prompts the due-row engine sent
them and the observations they answered, replayed through the real services on the clock."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db.models import F, Max

from accounts.models import Organization, Role, User
from coaching.models import CoachingBooster, ObservationRound
from coaching.selectors import cohort_objectives
from coaching.services import coaching_plan, observations_save
from cohorts.models import Cohort, CohortRole, Enrolment
from notifications import scheduling
from notifications.models import Notification, OutboxMessage
from notifications.outbox import outbox_discard
from notifications.scheduling import DueStatus
from socialtraining import clock

# (email, name, cohort, how many of its participants they coach)
DEMO_COACHES = (
    ("coach@demo.test", "Dana Okafor", "Coaching conversations", 6),
    ("mentor@demo.test", "Lee Marsh", "Coaching conversations", 4),
    ("coach@demo.test", "Dana Okafor", "Leading hybrid teams", 3),
)
# Of the people a coach is asked about, this share gets rated.
RATED_SHARE = 0.8


def demo_coaching_create(
    *,
    organization: Organization,
    cohorts: dict[str, Cohort],
    participant: User,
    password: str,
    rng: random.Random,
    now: datetime,
) -> tuple[list[User], dict[str, int]]:
    """Coaches with people in two cohorts; returns the coaches and counts for the summary."""
    # demo.seeding calls this module, so its helper is imported here, not at the top.
    from demo.seeding import people_create

    outbox_before = OutboxMessage.objects.aggregate(last=Max("pk"))["last"] or 0
    notified_before = Notification.objects.aggregate(last=Max("pk"))["last"] or 0
    wanted = dict.fromkeys((email, name) for email, name, _, _ in DEMO_COACHES)
    coaches = {
        u.email: u
        for u in people_create(
            wanted, organization=organization, role=Role.COACH, password=password
        )
    }
    User.objects.filter(pk__in=[u.pk for u in coaches.values()]).update(
        last_login=now - timedelta(days=1)
    )
    taken: set[int] = set()
    for email, _, cohort_name, count in DEMO_COACHES:
        cohort = Cohort.objects.with_schedule().get(pk=cohorts[cohort_name].pk)
        since = cohort.last_end - timedelta(days=1)
        enrolments = Enrolment.objects.filter(cohort=cohort, role=CohortRole.PARTICIPANT)
        # participant@demo.test has a coach, so their "what my coach sees" page shows one.
        mine = list(enrolments.filter(user=participant).exclude(pk__in=taken))
        others = list(enrolments.exclude(user=participant).exclude(pk__in=taken).order_by("pk"))
        chosen = (mine + others)[:count]
        taken |= {e.pk for e in chosen}
        Enrolment.objects.filter(pk__in=[e.pk for e in chosen]).update(
            coach=coaches[email], coach_since=since
        )
        with clock.frozen_at(since):
            coaching_plan(cohort=cohort)
    observed = 0
    for name in dict.fromkeys(name for _, _, name, _ in DEMO_COACHES):
        observed += _replay(cohorts[name], rng=rng, now=now)
    # Seeding sends no mail; old news is read.
    outbox_discard(OutboxMessage.objects.filter(pk__gt=outbox_before))
    Notification.objects.filter(
        pk__gt=notified_before, created_at__lt=now - timedelta(days=2)
    ).update(read_at=F("created_at") + timedelta(hours=5))
    boosters = CoachingBooster.objects.filter(cohort__in=cohorts.values())
    return list(coaches.values()), {
        "coaches": len(coaches),
        "coaching prompts sent": boosters.filter(sent_at__isnull=False).count(),
        "observations": observed,
    }


def _replay(cohort: Cohort, *, rng: random.Random, now: datetime) -> int:
    """The cohort's coaching rows run at their moments, in time order, up to now (each run takes
    only this cohort's rows); coaches rate most of their people two days after being asked, with
    behaviour that grows over the rounds, and the reminder goes to those who left someone out."""
    boosters = CoachingBooster.objects.filter(cohort=cohort)
    rounds = ObservationRound.objects.filter(cohort=cohort)
    booster_ids = list(boosters.values_list("pk", flat=True))
    round_ids = list(rounds.values_list("pk", flat=True))
    objectives = cohort_objectives({cohort.pk}).get(cohort.pk, [])
    rated: set[int] = set()
    observed = 0
    while True:
        due = [
            row.due_at
            # Fresh each time: the runs below change the rows.
            for row in [*boosters.all(), *rounds.all()]
            if row.status == DueStatus.PENDING and row.due_at <= now
        ]
        if not due:
            return observed
        with clock.frozen_at(min(due) + timedelta(minutes=1)):
            scheduling.run_now("coaching_booster", booster_ids)
            scheduling.run_now("observation_round", round_ids)
        for round_ in rounds.filter(opened_at__isnull=False).exclude(pk__in=rated):
            rated.add(round_.pk)
            answered_at = round_.opened_at + timedelta(days=2)
            if objectives and answered_at <= now:
                observed += _observe(round_, objectives, rng=rng, at=answered_at)


def _observe(round_: ObservationRound, objectives: list[str], *, rng, at: datetime) -> int:
    level = min(round_.offset_days // 30, 3)
    people = Enrolment.objects.filter(cohort_id=round_.cohort_id, coach__isnull=False)
    observed = 0
    with clock.frozen_at(at):
        for enrolment in people.select_related("coach").order_by("pk"):
            if rng.random() > RATED_SHARE:
                continue
            ratings = {
                objective: (max(0, min(3, level + 1 - rng.randint(0, 2))), "")
                for objective in objectives
            }
            observed += observations_save(
                round_=round_, enrolment=enrolment, coach=enrolment.coach, ratings=ratings
            )
    return observed
