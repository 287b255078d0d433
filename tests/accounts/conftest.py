"""Fixtures for the accounts views: invitations in every state and a clean rate-limit cache."""

from datetime import timedelta

import pytest
from django.core.cache import cache

from accounts.models import Invitation, Role
from accounts.services import invitation_token
from socialtraining import clock


@pytest.fixture(autouse=True)
def _clear_cache():
    # allauth counts rate limits in the cache; LocMemCache would carry counts between tests.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_invitation(world):
    def make(email: str = "new.person@example.test", **fields) -> Invitation:
        fields = {
            "organization": world.organization,
            "role": Role.PARTICIPANT,
            "invited_by": world.manager,
            "expires_at": clock.now() + timedelta(days=14),
            **fields,
        }
        return Invitation.objects.create(email=email, **fields)

    return make


@pytest.fixture
def accept_url():
    def url(invitation: Invitation) -> str:
        return f"/invitations/{invitation_token(invitation)}/"

    return url


@pytest.fixture
def mail_body():
    """The plain-text body of the one mail sent to `to`."""
    from django.core import mail

    def body(to: str) -> str:
        sent = [m for m in mail.outbox if m.to == [to]]
        assert len(sent) == 1, [m.to for m in mail.outbox]
        return sent[0].body

    return body
