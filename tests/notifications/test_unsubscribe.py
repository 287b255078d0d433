"""The digest's one-click unsubscribe: signed, no sign-in, GET asks and POST does it."""

import time
from unittest import mock

from django.core import signing

from notifications.models import NotificationPreference
from notifications.services import unsubscribe_token


def _url(token):
    return f"/notifications/unsubscribe/{token}/"


def test_it_asks_before_unsubscribing_on_get(client, alice):
    response = client.get(_url(unsubscribe_token(alice)))
    assert response.status_code == 200
    assert "Unsubscribe from the daily digest" in response.content.decode()
    # Mail clients prefetch links: a GET changes nothing.
    assert not NotificationPreference.objects.filter(user=alice).exists()


def test_it_unsubscribes_on_post_without_signing_in_or_csrf(alice):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    # RFC 8058: the provider posts List-Unsubscribe=One-Click with no token of ours.
    response = client.post(_url(unsubscribe_token(alice)), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "no longer receive the daily digest" in response.content.decode()
    preferences = NotificationPreference.objects.get(user=alice)
    assert not preferences.daily_digest and preferences.mention_emails


def test_it_refuses_a_changed_or_foreign_token_clearly(client, alice, bob):
    token = unsubscribe_token(alice)
    foreign = signing.dumps(bob.pk, salt="something-else")
    for bad in (token[:-2] + "xx", "nonsense", foreign, signing.dumps("text", salt="x")):
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


def test_it_says_an_old_link_has_expired_and_changes_nothing(client, alice, settings):
    token = unsubscribe_token(alice)
    settings.UNSUBSCRIBE_LINK_MAX_AGE = 60
    later = time.time() + 61
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = client.post(_url(token))
    assert response.status_code == 410
    assert "has expired" in response.content.decode()
    assert not NotificationPreference.objects.exists()
