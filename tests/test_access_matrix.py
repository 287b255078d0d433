"""Every URL, every persona → the status each must get.

Personas (see tests/conftest.py): the organisation's manager, the cohort's instructor, a participant
of the cohort (in study group Blue), a participant of another cohort of the same organisation, a
manager of another organisation, and an anonymous visitor. Anything a persona may not reach is a
404, so ids reveal nothing; anonymous visitors are sent to sign in (302).
"""

from dataclasses import dataclass

import pytest
from django.urls import reverse

PERSONAS = [
    "manager",
    "instructor",
    "participant",
    "other_cohort_participant",
    "outsider",
    "anonymous",
]
SIGN_IN = 302


@dataclass(frozen=True)
class Case:
    name: str
    url: str  # a format string over the world's ids
    method: str
    expected: tuple  # one status per persona, in PERSONAS order

    def resolve(self, world) -> str:
        ids = {
            "cohort": world.cohort.pk,
            "group": world.group.pk,
            "other_group": world.other_group.pk,
            "org": world.organization.slug,
        }
        return self.url.format(**ids)


#            manager instructor participant other_cohort outsider anonymous
VIEW = (200, 200, 200, 404, 404, SIGN_IN)
TEACH = (200, 200, 404, 404, 404, SIGN_IN)
MANAGE = (200, 404, 404, 404, 404, SIGN_IN)
ANY_MEMBER = (200, 200, 200, 200, 200, SIGN_IN)

CASES = [
    Case("home", "/", "get", ANY_MEMBER),
    Case("cohort page", "/cohorts/{cohort}/", "get", VIEW),
    Case("notifications", "/notifications/", "get", ANY_MEMBER),
    Case("notification badge", "/notifications/badge/", "get", ANY_MEMBER),
]


def _client_for(client_for, world, persona):
    return client_for(None if persona == "anonymous" else getattr(world, persona))


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.name}")
def test_it_gives_each_persona_the_expected_status(case, world, client_for):
    url = case.resolve(world)
    got = {}
    for persona in PERSONAS:
        client = _client_for(client_for, world, persona)
        response = getattr(client, case.method)(
            url, HTTP_HX_REQUEST="true" if "fragment" in case.name else None
        )
        got[persona] = response.status_code
    assert got == dict(zip(PERSONAS, case.expected, strict=True))


def test_it_sends_anonymous_visitors_to_the_sign_in_page(client, world):
    response = client.get(reverse("cohorts:detail", args=[world.cohort.pk]))
    assert response["Location"].startswith(reverse("account_login"))
