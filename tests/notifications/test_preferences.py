"""Notification preferences: per kind, how it comes by email (in-app is always on)."""

from notifications.models import EmailKind, EmailMode, NotificationPreference


def test_it_shows_the_defaults_for_every_kind_and_is_linked(client, alice):
    client.force_login(alice)
    body = client.get("/notifications/preferences/").content.decode()
    for kind in EmailKind:
        assert kind.label in body
    assert body.count("checked") == len(EmailKind)
    # Sparks come at once, replies in followed threads bundled.
    assert 'name="spark_email" value="immediately" id="id_spark_email_0" required checked' in body
    assert 'name="reply_email" value="bundled" id="id_reply_email_1" required checked' in body
    assert 'href="/notifications/preferences/"' in client.get("/notifications/").content.decode()


def test_it_saves_the_choices(client, alice):
    client.force_login(alice)
    choices = {field: EmailMode.IMMEDIATELY for field in NotificationPreference.FIELDS.values()}
    response = client.post(
        "/notifications/preferences/",
        {**choices, "reply_email": EmailMode.DAILY, "mention_email": EmailMode.NEVER},
    )
    assert response.status_code == 302
    preferences = NotificationPreference.objects.get(user=alice)
    assert preferences.mode_for(EmailKind.REPLY) == EmailMode.DAILY
    assert preferences.mode_for(EmailKind.MENTION) == EmailMode.NEVER
    assert preferences.mode_for(EmailKind.SPARK) == EmailMode.IMMEDIATELY
    client.post("/notifications/preferences/", choices)
    assert NotificationPreference.objects.filter(user=alice).count() == 1


def test_it_keeps_the_choices_and_says_what_is_missing(client, alice):
    client.force_login(alice)
    response = client.post(
        "/notifications/preferences/", {"spark_email": EmailMode.NEVER, "reply_email": "weekly"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Select a valid choice" in body and "This field is required" in body
    assert 'value="never" id="id_spark_email_3" required checked' in body
    assert not NotificationPreference.objects.exists()


def test_it_is_for_signed_in_people_only(client):
    response = client.get("/notifications/preferences/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
