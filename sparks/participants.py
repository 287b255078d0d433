"""A participant's own side of sparks: the inbox, a vacation hold, opting out and back in."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F

from accounts.models import User
from cohorts.models import Cohort
from notifications.scheduling import DueStatus
from socialtraining import clock
from sparks.models import Delivery, DeliveryOutcome, DeliveryStep, SparkSettings
from sparks.planning import sparks_plan


@transaction.atomic
def sparks_pause(*, cohort: Cohort, user: User, until: datetime) -> SparkSettings:
    """A vacation hold: every ask still to be sent shifts by the length of the pause.

    Shifting keeps the spacing between sparks, so the return from holiday brings no burst; the
    send step also checks the hold, for asks planned while it lasts.
    """
    now = clock.now()
    row, _ = SparkSettings.objects.get_or_create(cohort=cohort, user=user)
    previous = row.paused_until if row.paused_until and row.paused_until > now else now
    shift = until - previous
    row.paused_until = until
    row.save(update_fields=["paused_until"])
    if shift > timedelta(0):
        Delivery.objects.filter(
            spark__cohort=cohort,
            participant=user,
            status=DueStatus.PENDING,
            step=DeliveryStep.SEND,
        ).update(due_at=F("due_at") + shift)
    return row


@transaction.atomic
def sparks_opt_out(*, cohort: Cohort, user: User) -> SparkSettings:
    row, _ = SparkSettings.objects.get_or_create(cohort=cohort, user=user)
    row.opted_out_at = clock.now()
    row.save(update_fields=["opted_out_at"])
    Delivery.objects.filter(
        spark__cohort=cohort, participant=user, status=DueStatus.PENDING, step=DeliveryStep.SEND
    ).update(status=DueStatus.CANCELLED, outcome=DeliveryOutcome.CANCELLED)
    return row


INBOX_SHOWN = 50
# Waiting asks listed on the home page and the cohort's overview; "Your sparks" has them all.
WAITING_SHOWN = 10


def sparks_waiting(
    *, user: User, limit: int = WAITING_SHOWN, cohort: Cohort | None = None
) -> list[Delivery]:
    """The asks waiting for `user`'s answer (in `cohort`, or across cohorts), the one closing
    soonest first, each with its `closes_at`: the inbox, the home page and the
    cohort's overview show these (one query).

    Asks not yet sent are not shown: a spark arrives when it is due, not before.
    """
    asks = Delivery.objects.filter(
        participant=user, sent_at__isnull=False, outcome=DeliveryOutcome.WAITING
    )
    if cohort is not None:
        asks = asks.filter(spark__cohort=cohort)
    asks = list(asks.select_related("spark__cohort").order_by("sent_at", "pk")[:limit])
    for ask in asks:
        ask.closes_at = ask.sent_at + timedelta(days=settings.SPARK_EXPIRE_AFTER_DAYS)
    return asks


def sparks_inbox(*, user: User) -> dict[str, list[Delivery]]:
    """A participant's asks across cohorts: waiting (`sparks_waiting`), answered and missed
    (newest first), INBOX_SHOWN of each."""
    asks = (
        Delivery.objects.filter(participant=user, sent_at__isnull=False)
        .select_related("spark__cohort", "answer")
        .order_by("-sent_at", "-pk")
    )
    return {
        "waiting": sparks_waiting(user=user, limit=INBOX_SHOWN),
        "answered": list(asks.filter(outcome=DeliveryOutcome.ANSWERED)[:INBOX_SHOWN]),
        "missed": list(asks.filter(outcome=DeliveryOutcome.MISSED)[:INBOX_SHOWN]),
    }


@transaction.atomic
def sparks_resume(*, cohort: Cohort, user: User) -> SparkSettings:
    """End a vacation hold early: asks still shifted by the hold move back by what is left of it.

    Asks never go earlier than now; the send step places them in the cohort's send window.
    """
    now = clock.now()
    row, _ = SparkSettings.objects.select_for_update().get_or_create(cohort=cohort, user=user)
    if row.paused_until and row.paused_until > now:
        left = row.paused_until - now
        waiting = Delivery.objects.filter(
            spark__cohort=cohort,
            participant=user,
            status=DueStatus.PENDING,
            step=DeliveryStep.SEND,
        )
        waiting.update(due_at=F("due_at") - left)
        waiting.filter(due_at__lt=now).update(due_at=now)
    row.paused_until = None
    row.save(update_fields=["paused_until"])
    return row


@transaction.atomic
def sparks_opt_in(*, cohort: Cohort, user: User) -> SparkSettings:
    """Take sparks again after opting out: the sparks still ahead are planned for this person."""
    row, _ = SparkSettings.objects.get_or_create(cohort=cohort, user=user)
    row.opted_out_at = None
    row.save(update_fields=["opted_out_at"])
    sparks_plan(cohort=cohort)
    return row
