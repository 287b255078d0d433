import pytest
from django.core import mail

from notifications.models import Notification, OutboxMessage
from notifications.services import notify

pytestmark = pytest.mark.django_db


def notify_alice(alice, **fields):
    return notify(
        user=alice,
        key="spark:42",
        title="A new spark question is waiting",
        body="What did you try since the workshop?",
        url="/sparks/42/",
        email_template="notification",
        **fields,
    )


def test_it_notifies_in_app_and_by_email(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify_alice(alice)

    assert notification is not None
    assert Notification.objects.get().title == "A new spark question is waiting"
    assert [message.to for message in mail.outbox] == [["alice@example.test"]]
    message = mail.outbox[0]
    assert message.subject == "[Social training] A new spark question is waiting"
    assert "What did you try since the workshop?" in message.body
    assert "http://127.0.0.1:8000/sparks/42/" in message.body
    assert 'href="http://127.0.0.1:8000/sparks/42/"' in message.alternatives[0].content


def test_it_notifies_once_per_key(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = notify_alice(alice)
        second = notify_alice(alice)

    assert first is not None
    assert second is None
    assert Notification.objects.count() == 1
    assert OutboxMessage.objects.count() == 1
    assert len(mail.outbox) == 1


def test_it_notifies_each_person_of_the_same_event(alice, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify_alice(alice)
        notify_alice(bob)

    assert Notification.objects.filter(key="spark:42").count() == 2
    assert sorted(message.to[0] for message in mail.outbox) == [
        "alice@example.test",
        "bob@example.test",
    ]


def test_it_notifies_in_app_only_without_an_email_template(
    alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notify(user=alice, key="reply:7", title="Grace replied to you")

    assert Notification.objects.get().title == "Grace replied to you"
    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "https://evil.example/phish", "//evil.example/", "data:text/html,x"],
)
def test_it_refuses_a_link_that_leaves_the_site(alice, url):
    with pytest.raises(ValueError, match="paths on this site"):
        notify(user=alice, key="bad-link", title="Hello", url=url)
    assert not Notification.objects.exists()


def test_it_keeps_neither_row_when_the_email_cannot_be_written(alice, monkeypatch):
    from notifications import services

    def broken(**kwargs):
        raise RuntimeError("template missing")

    monkeypatch.setattr(services, "email_from_template", broken)
    with pytest.raises(RuntimeError):
        notify_alice(alice)
    assert not Notification.objects.exists()

    monkeypatch.undo()
    assert notify_alice(alice) is not None
    assert OutboxMessage.objects.count() == 1
