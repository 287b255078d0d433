"""Notification preferences: what comes by email (in-app is always on)."""

from notifications.models import NotificationPreference


def test_it_shows_everything_on_by_default_and_is_linked(client, alice):
    client.force_login(alice)
    body = client.get("/notifications/preferences/").content.decode()
    assert body.count("checked") == 3
    assert 'href="/notifications/preferences/"' in client.get("/notifications/").content.decode()


def test_it_saves_the_choices(client, alice):
    client.force_login(alice)
    response = client.post("/notifications/preferences/", {"reply_emails": "on"})
    assert response.status_code == 302
    preferences = NotificationPreference.objects.get(user=alice)
    assert preferences.reply_emails
    assert not preferences.daily_digest and not preferences.mention_emails
    client.post("/notifications/preferences/", {"daily_digest": "on"})
    assert NotificationPreference.objects.filter(user=alice).count() == 1


def test_it_is_for_signed_in_people_only(client):
    response = client.get("/notifications/preferences/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
