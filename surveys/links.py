"""Signed one-click links from a round's emails straight to one participant's form.

A link names one round and one person. Opening it grants this browser session access to that
form only (not a sign-in): a forwarded email cannot reach anything else of the recipient's.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from socialtraining import clock_signing, link_grants

SALT = "surveys.round-link"


@dataclass(frozen=True)
class LinkGrant:
    round_id: int
    user_id: int


def round_link_token(round_, user) -> str:
    return clock_signing.dumps({"r": round_.pk, "u": user.pk}, salt=SALT, compress=True)


def round_link_path(round_, user) -> str:
    return reverse("surveys:link", args=[round_link_token(round_, user)])


def read_round_link(token: str) -> LinkGrant | None:
    """The round and person a link names; None for a tampered or expired link."""
    ids = link_grants.read_signed_ids(
        token, salt=SALT, max_age=settings.SURVEY_LINK_MAX_AGE, keys=("r", "u")
    )
    return LinkGrant(*ids) if ids else None


def grant(session, link: LinkGrant) -> None:
    link_grants.grant(session, "survey_round", link.round_id, link.user_id)


def granted_user_id(session, round_id: int) -> int | None:
    return link_grants.granted_user_id(session, "survey_round", round_id)
