import pytest
from django.core import mail

from notifications.emails import EmailTemplate, slot
from notifications.models import (
    EmailKind,
    EmailMode,
    Job,
    Notification,
    NotificationPreference,
    OutboxMessage,
    OutboxTemplate,
)
from notifications.services import Notice, notify, notify_many
from tests import factories

pytestmark = pytest.mark.django_db


def notify_alice(alice, kind=EmailKind.SPARK, **fields):
    return notify(
        user=alice,
        key="spark:42",
        kind=kind,
        title="A new spark question is waiting",
        body="What did you try since the workshop?",
        url="/sparks/42/",
        **fields,
    )


def test_it_notifies_in_app_and_by_email(alice, deliver):
    notification = notify_alice(alice)
    deliver()

    assert notification is not None
    assert Notification.objects.get().title == "A new spark question is waiting"
    assert [message.to for message in mail.outbox] == [["alice@example.test"]]
    message = mail.outbox[0]
    assert message.subject == "[Social training] A new spark question is waiting"
    assert "What did you try since the workshop?" in message.body
    assert "http://127.0.0.1:8000/sparks/42/" in message.body
    assert 'href="http://127.0.0.1:8000/sparks/42/"' in message.alternatives[0].content


def test_it_offers_a_one_click_unsubscribe_for_the_kind_in_every_email(alice, client, deliver):
    notify_alice(alice)
    deliver()

    [message] = mail.outbox
    link = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in message.body and link in message.alternatives[0].content
    # The mail provider's one-click POST, without cookies or a CSRF token.
    response = client.post(link.removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 200
    preferences = NotificationPreference.objects.get(user=alice)
    assert preferences.spark_email == EmailMode.NEVER
    assert preferences.reply_email == EmailMode.BUNDLED


def test_it_notifies_once_per_key(alice, deliver):
    first = notify_alice(alice)
    second = notify_alice(alice)
    deliver()

    assert first is not None
    assert second is None
    assert Notification.objects.count() == 1
    assert OutboxMessage.objects.count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("kind", "mode", "emailed", "bundled"),
    [
        (EmailKind.SPARK, EmailMode.IMMEDIATELY, True, False),
        (EmailKind.REPLY, EmailMode.BUNDLED, False, True),
        (EmailKind.MENTION, EmailMode.DAILY, False, False),
        (EmailKind.PROMPT, EmailMode.NEVER, False, False),
    ],
)
def test_it_emails_each_kind_as_the_person_chose(alice, deliver, kind, mode, emailed, bundled):
    NotificationPreference.objects.create(user=alice, **{f"{kind}_email": mode})
    notify_alice(alice, kind=kind)
    deliver()

    notification = Notification.objects.get()
    assert (notification.kind, notification.email_mode) == (kind, mode)
    assert bool(mail.outbox) is emailed
    assert Job.objects.filter(kind="email_bundle", target_id=alice.pk).exists() is bundled


def test_it_bundles_replies_and_sends_sparks_at_once_by_default(alice, deliver):
    notify_alice(alice)
    notify(user=alice, key="reply:7", kind=EmailKind.REPLY, title="Grace replied to you")
    deliver()

    assert [m.subject for m in mail.outbox] == ["[Social training] A new spark question is waiting"]
    assert Notification.objects.get(key="reply:7").email_mode == EmailMode.BUNDLED


def test_it_tells_many_people_in_a_handful_of_queries(django_assert_max_num_queries, deliver):
    people = [factories.UserFactory() for _ in range(60)]
    NotificationPreference.objects.create(user=people[0], spark_email=EmailMode.BUNDLED)
    email = EmailTemplate(
        "notification", {"title": "A question", "body": "Why?", "url": slot("link")}
    )
    notices = [
        Notice(
            user=person,
            key="spark:1",
            kind=EmailKind.SPARK,
            title="A question",
            url="/sparks/1/",
            email=email,
            values={"link": f"http://127.0.0.1:8000/sparks/link/{person.pk}/"},
        )
        for person in people
    ]
    # Eight statements (and two savepoints, each opened and released), for 60 people or 6,000:
    # the email's body is stored once, in one template row the 59 messages point to.
    with django_assert_max_num_queries(12):
        told = notify_many(notices)
    deliver()

    assert len(told) == 60 and Notification.objects.count() == 60
    assert len(mail.outbox) == 59
    # The email was rendered once; each person's own link and name were filled in.
    by_address = {m.to[0]: m for m in mail.outbox}
    own = by_address[people[5].email]
    assert f"/sparks/link/{people[5].pk}/" in own.body
    assert f"/sparks/link/{people[6].pk}/" not in own.body
    # Telling them again tells nobody.
    assert notify_many(notices) == []


def test_it_stores_an_email_for_many_people_once_and_fills_it_for_each(deliver):
    people = [factories.UserFactory() for _ in range(3)]
    email = EmailTemplate("notification", {"title": "A question", "url": slot("link")})
    notify_many(
        [
            Notice(
                user=person,
                key="q:1",
                kind=EmailKind.SPARK,
                title="A question",
                email=email,
                values={"link": f"https://example.test/own/{n}/"},
            )
            for n, person in enumerate(people)
        ]
    )

    template = OutboxTemplate.objects.get()
    messages = list(OutboxMessage.objects.order_by("pk"))
    assert [m.template_id for m in messages] == [template.pk] * 3
    # The rows hold only each person's values; the body lives once, with its slots.
    assert {m.body_text for m in messages} == {""}
    assert slot("link") in template.body_text
    assert "/own/1/" in messages[1].content()["body_text"]
    assert "/own/2/" not in messages[1].content()["body_text"]
    deliver()
    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert "/own/0/" in bodies[people[0].email] and "/own/0/" not in bodies[people[2].email]


def test_it_escapes_a_persons_values_in_the_html_part(deliver):
    person = factories.UserFactory(display_name="<b>Zoë</b> & co")
    email = EmailTemplate("bundle", {"topics": [], "count": 0, "topic_count": 0})
    notify_many([Notice(user=person, key="k", kind=EmailKind.SPARK, title="Hi", email=email)])
    deliver()

    [message] = mail.outbox
    assert "Hello <b>Zoë</b> & co" in message.body
    assert "&lt;b&gt;Zoë&lt;/b&gt; &amp; co" in message.alternatives[0].content


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "https://evil.example/phish", "//evil.example/", "data:text/html,x"],
)
def test_it_refuses_a_link_that_leaves_the_site(alice, url):
    with pytest.raises(ValueError, match="paths on this site"):
        notify(user=alice, key="bad-link", kind=EmailKind.ACCOUNT, title="Hello", url=url)
    assert not Notification.objects.exists()


def test_it_keeps_neither_row_when_the_email_cannot_be_written(alice, monkeypatch):
    from notifications import services

    def broken(messages):
        raise RuntimeError("database gone")

    monkeypatch.setattr(services, "outbox_enqueue_many", broken)
    with pytest.raises(RuntimeError):
        notify_alice(alice)
    assert not Notification.objects.exists()

    monkeypatch.undo()
    assert notify_alice(alice) is not None
    assert OutboxMessage.objects.count() == 1
