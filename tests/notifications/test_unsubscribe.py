"""One-click unsubscribe links: signed, per person and kind, no sign-in, GET asks, POST does it."""

from datetime import timedelta

import pytest
from django.core import signing

from notifications.models import EmailKind, EmailMode, NotificationPreference
from notifications.services import UNSUBSCRIBE_SALT, unsubscribe_token
from socialtraining import clock


def _url(token):
    return f"/notifications/unsubscribe/{token}/"


def test_it_asks_before_unsubscribing_on_get(client, alice):
    response = client.get(_url(unsubscribe_token(alice)))
    assert response.status_code == 200
    assert "Stop emails: the daily digest" in response.content.decode()
    # Mail clients prefetch links: a GET changes nothing.
    assert not NotificationPreference.objects.filter(user=alice).exists()


def test_it_unsubscribes_on_post_without_signing_in_or_csrf(alice):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    # RFC 8058: the provider posts List-Unsubscribe=One-Click with no token of ours.
    response = client.post(_url(unsubscribe_token(alice)), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "no longer receive emails for the daily digest" in response.content.decode()
    assert NotificationPreference.objects.filter(user=alice).exists()


@pytest.mark.parametrize(
    ("kind", "field", "untouched"),
    [
        (EmailKind.REPLY, "reply_email", "mention_email"),
        (EmailKind.SURVEY, "survey_email", "spark_email"),
        ("bundle", "reply_email", "spark_email"),
    ],
)
def test_it_stops_one_kind_and_leaves_the_others(client, alice, kind, field, untouched):
    before = getattr(NotificationPreference(), untouched)
    response = client.post(_url(unsubscribe_token(alice, kind)))
    assert response.status_code == 200
    preferences = NotificationPreference.objects.get(user=alice)
    assert getattr(preferences, field) == EmailMode.NEVER
    assert getattr(preferences, untouched) == before


def test_it_stops_everything_the_digest_gathers(client, alice):
    NotificationPreference.objects.create(
        user=alice, reply_email=EmailMode.DAILY, prompt_email=EmailMode.DAILY
    )
    client.post(_url(unsubscribe_token(alice)))
    preferences = NotificationPreference.objects.get(user=alice)
    assert preferences.reply_email == preferences.prompt_email == EmailMode.NEVER
    assert preferences.spark_email == EmailMode.IMMEDIATELY


def test_it_still_honours_a_link_from_before_kinds(client, alice):
    old = signing.dumps(alice.pk, salt=UNSUBSCRIBE_SALT)
    assert "the daily digest" in client.get(_url(old)).content.decode()


def test_it_refuses_a_changed_or_foreign_token_clearly(client, alice, bob):
    token = unsubscribe_token(alice)
    foreign = signing.dumps(bob.pk, salt="something-else")
    unknown_kind = signing.dumps([alice.pk, "everything"], salt=UNSUBSCRIBE_SALT)
    for bad in (
        token[:-2] + "xx",
        "nonsense",
        foreign,
        signing.dumps("text", salt="x"),
        unknown_kind,
    ):
        for method in (client.get, client.post):
            response = method(_url(bad))
            assert response.status_code == 400
            assert "not valid" in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_it_refuses_the_link_of_a_deleted_account(client, alice):
    token = unsubscribe_token(alice)
    alice.delete()
    response = client.post(_url(token))
    assert response.status_code == 400
    assert not NotificationPreference.objects.exists()


def test_it_says_an_old_link_has_expired_and_changes_nothing(client, alice, settings, travel):
    token = unsubscribe_token(alice)
    settings.UNSUBSCRIBE_LINK_MAX_AGE = 60
    travel.to(clock.now() + timedelta(seconds=61))
    response = client.post(_url(token))
    assert response.status_code == 410
    assert "has expired" in response.content.decode()
    assert not NotificationPreference.objects.exists()
