"""Writes of the cohort dashboard: nudging participants at risk."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from accounts.models import User
from cohorts.models import Cohort
from insights.cohort.results import nudge_key_prefix
from notifications.models import EmailKind
from notifications.services import Notice, notify_many


def nudge_message_default(*, sender: User) -> str:
    """The nudge's suggested text, which the sender may change before sending."""
    return (
        f"{sender.name} wonders how you are getting on. A few minutes in the cohort's "
        "discussions, sparks or surveys keeps what you learned fresh."
    )


@transaction.atomic
def participants_nudge(
    *, cohort: Cohort, sender: User, participants: list[User], nudge_id: str, message: str = ""
) -> list[User]:
    """Notify each participant once for this nudge, in-app and by email through the outbox.

    `nudge_id` comes with the form, so a second click or a resent form reuses the same
    notification key: `notify_many` tells nobody twice per key. Returns the people nudged now
    (not those this nudge already reached).
    """
    key = f"{nudge_key_prefix(cohort.pk)}{nudge_id}"
    url = reverse("cohorts:detail", args=[cohort.pk])
    body = message or nudge_message_default(sender=sender)
    told = notify_many(
        [
            Notice(
                user=participant,
                key=key,
                kind=EmailKind.ACCOUNT,
                title=f"We miss you in {cohort.name}",
                body=body,
                url=url,
            )
            for participant in participants
        ]
    )
    return [notice.user for notice in told]
