"""Signed links from a spark's email straight to that one ask's answer page, without a password.

A link names one delivery and its participant and works for a limited time. Opening it grants this
browser session that one ask only (not a sign-in): a forwarded email reaches nothing else.
"""

from __future__ import annotations

from django.conf import settings

from notifications.emails import path_for
from socialtraining import clock_signing, link_grants

SALT = "sparks.delivery-link"


def delivery_link_token(delivery) -> str:
    return clock_signing.dumps({"d": delivery.pk, "u": delivery.participant_id}, salt=SALT)


def delivery_link_path(delivery) -> str:
    return path_for("sparks:link", delivery_link_token(delivery))


def read_delivery_link(token: str) -> tuple[int, int] | None:
    """(delivery id, participant id) a link names; None when tampered with or expired."""
    return link_grants.read_signed_ids(
        token, salt=SALT, max_age=settings.SPARK_LINK_MAX_AGE, keys=("d", "u")
    )


def grant(session, delivery_id: int, user_id: int) -> None:
    link_grants.grant(session, "spark_delivery", delivery_id, user_id)


def granted_user_id(session, delivery_id: int) -> int | None:
    return link_grants.granted_user_id(session, "spark_delivery", delivery_id)


# One-click answers: each choice in a knowledge spark's email is its own signed link, bound to the
# delivery, its participant and that choice. Opening it writes nothing (mail scanners prefetch
# links with GET); the page it opens submits the choice with a POST.

CHOICE_SALT = "sparks.choice-link"


def choice_link_token(delivery, choice) -> str:
    return clock_signing.dumps(
        {"d": delivery.pk, "u": delivery.participant_id, "c": choice.pk}, salt=CHOICE_SALT
    )


def choice_link_path(delivery, choice) -> str:
    return path_for("sparks:pick", choice_link_token(delivery, choice))


def read_choice_link(token: str) -> tuple[int, int, int] | None:
    """(delivery id, participant id, choice id) a one-click link names; None when invalid."""
    return link_grants.read_signed_ids(
        token, salt=CHOICE_SALT, max_age=settings.SPARK_LINK_MAX_AGE, keys=("d", "u", "c")
    )
