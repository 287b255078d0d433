"""Demo coaches: line managers for part of the cohort two months past its workshop and one for
participant@demo.test in the cohort that just finished, with the prompts the due-row engine sent
them and the observations they answered, replayed through the real services on the clock."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db.models import F, Max

from accounts.models import Organization, Role, User
from coaching.models import CoachingBooster, Frequency, ObservationRound
from coaching.selectors import cohort_objectives
from coaching.services import coaching_plan, observations_save
from cohorts.models import Cohort, CohortRole, Enrolment
from notifications import scheduling
from notifications.models import Notification, OutboxMessage
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
    for cohort in {cohorts[name] for _, _, name, _ in DEMO_COACHES}:
        observed += _replay(cohort, rng=rng, now=now)
    # Seeding sends no mail; old news is read.
    OutboxMessage.objects.filter(pk__gt=outbox_before).delete()
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
    """Each coaching row due by now runs at its moment; coaches rate most of their people two
    days after being asked, with behaviour that grows over the rounds."""
    moments = sorted(
        {
            *CoachingBooster.objects.filter(cohort=cohort, due_at__lte=now).values_list(
                "due_at", flat=True
            ),
            *ObservationRound.objects.filter(cohort=cohort, due_at__lte=now).values_list(
                "due_at", flat=True
            ),
        }
    )
    objectives = cohort_objectives({cohort.pk}).get(cohort.pk, [])
    rounds = {r.due_at: r for r in ObservationRound.objects.filter(cohort=cohort, due_at__lte=now)}
    observed = 0
    for moment in moments:
        with clock.frozen_at(moment + timedelta(minutes=1)):
            scheduling.run_now("coaching_booster")
            scheduling.run_now("observation_round")
        opened = rounds.get(moment)
        if opened is None or not objectives:
            continue
        answered_at = moment + timedelta(days=2)
        if answered_at > now:
            continue
        level = min(opened.offset_days // 30, 3)
        people = Enrolment.objects.filter(cohort=cohort, coach__isnull=False).select_related(
            "coach"
        )
        with clock.frozen_at(answered_at):
            for enrolment in people:
                if rng.random() > RATED_SHARE:
                    continue
                ratings = {
                    objective: (
                        max(
                            Frequency.NEVER, min(Frequency.ROUTINELY, level - rng.randint(0, 2) + 1)
                        ),
                        "",
                    )
                    for objective in objectives
                }
                observed += observations_save(
                    round_=opened, enrolment=enrolment, coach=enrolment.coach, ratings=ratings
                )
    # Reminders due since then go out too.
    scheduling.run_now("observation_round")
    return observed
