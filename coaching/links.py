"""Signed one-click links from an observation email to one person's observation form.

A link names one round, one person (their enrolment) and their coach. Opening it grants this
browser session that one form, acting as the coach (not a sign-in), so it works on a phone
straight from the email and a forwarded email reaches nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from socialtraining import clock_signing, link_grants

SALT = "coaching.observation-link"
GRANT_KIND = "coaching_observation"


@dataclass(frozen=True)
class ObservationLink:
    round_id: int
    enrolment_id: int
    coach_id: int


def observation_link_path(*, round_id: int, enrolment_id: int, coach_id: int) -> str:
    token = clock_signing.dumps({"r": round_id, "e": enrolment_id, "c": coach_id}, salt=SALT)
    return reverse("coaching:observe_link", args=[token])


def read_observation_link(token: str) -> ObservationLink | None:
    """What a link names; None for a tampered or expired one."""
    ids = link_grants.read_signed_ids(
        token, salt=SALT, max_age=settings.SURVEY_LINK_MAX_AGE, keys=("r", "e", "c")
    )
    return ObservationLink(*ids) if ids else None


def _object_id(round_id: int, enrolment_id: int) -> str:
    return f"{round_id}:{enrolment_id}"


def grant(session, link: ObservationLink) -> None:
    link_grants.grant(
        session, GRANT_KIND, _object_id(link.round_id, link.enrolment_id), link.coach_id
    )


def granted_coach_id(session, *, round_id: int, enrolment_id: int) -> int | None:
    return link_grants.granted_user_id(session, GRANT_KIND, _object_id(round_id, enrolment_id))
