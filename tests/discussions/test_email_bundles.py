"""Bundled emails (at most one an hour, each thread once with who wrote what) and the daily digest
(whatever each person set to "daily"), built from the in-app notifications."""

from datetime import timedelta

import pytest

from discussions import follows, posting
from notifications.bundles import digests_send
from notifications.models import EmailMode, Job, Notification, NotificationPreference, OutboxMessage
from notifications.scheduling import DueStatus


@pytest.fixture
def threads(world, start_thread):
    first = start_thread(author=world.instructor, title="Giving feedback upwards")
    second = start_thread(author=world.instructor, title="Saying no kindly")
    return first, second


def _reply(thread, author, body):
    return posting.post_reply(
        thread=thread, author=author, body=body, idempotency_key=f"{thread.pk}:{author.pk}:{body}"
    )


def _mails_to(user):
    return OutboxMessage.objects.filter(to_email=user.email).order_by("pk")


def test_it_bundles_replies_into_one_email_listing_each_thread_once(
    world, threads, travel, deliver, settings
):
    first, second = threads
    _reply(first, world.participant, "I asked my manager **what** they needed first.")
    _reply(first, world.groupmate, "Same here: it opened the conversation.")
    _reply(second, world.other_group_participant, "A clear no, and an offer of what I *can* do.")
    deliver()
    # The first bundle waits a little for more to gather.
    assert not _mails_to(world.instructor).exists()

    travel.by(timedelta(minutes=settings.EMAIL_BUNDLE_DELAY_MINUTES))
    deliver()
    [bundle] = _mails_to(world.instructor)
    text, html = bundle.body_text, bundle.body_html
    assert bundle.subject == "[Social training] New in 2 threads you follow"
    assert text.count("Giving feedback upwards") == 1 and text.count("Saying no kindly") == 1
    assert "I asked my manager what they needed first." in text
    assert "<strong>" + world.groupmate.name + "</strong>: Same here" in html
    assert bundle.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The same one-click link in the email itself, naming what it stops.
    link = bundle.headers["List-Unsubscribe"].strip("<>")
    assert f"Stop these emails (one click, no sign-in): {link}" in text
    assert "email settings for bundled emails" in text
    # The participant follows the first thread (they replied): one bundle with the groupmate's.
    [theirs] = _mails_to(world.participant)
    assert "Same here" in theirs.body_text and "Saying no kindly" not in theirs.body_text
    assert Notification.objects.filter(emailed_at__isnull=True, email_mode="bundled").count() == 0


def test_it_sends_at_most_one_bundle_an_hour(world, threads, travel, deliver, settings):
    first, _ = threads
    _reply(first, world.participant, "One")
    deliver()
    travel.by(timedelta(minutes=settings.EMAIL_BUNDLE_DELAY_MINUTES))
    deliver()
    assert _mails_to(world.instructor).count() == 1
    sent_at = Job.objects.get(kind="email_bundle", target_id=world.instructor.pk).done_at

    _reply(first, world.groupmate, "Two")
    deliver()
    travel.by(timedelta(minutes=settings.EMAIL_BUNDLE_DELAY_MINUTES + 1))
    deliver()
    assert _mails_to(world.instructor).count() == 1
    job = Job.objects.get(kind="email_bundle", target_id=world.instructor.pk)
    assert job.status == DueStatus.PENDING
    assert job.due_at == sent_at + timedelta(minutes=settings.EMAIL_BUNDLE_EVERY_MINUTES)

    travel.to(job.due_at)
    deliver()
    second = _mails_to(world.instructor).last()
    assert "Two" in second.body_text and "One" not in second.body_text


def test_it_leaves_out_what_was_read_in_the_app(world, threads, travel, deliver, settings):
    first, second = threads
    _reply(first, world.participant, "Read already")
    _reply(second, world.participant, "Still new")
    deliver()
    # The instructor opens the first thread on the site before the bundle goes.
    follows.thread_mark_read(thread=first, user=world.instructor)
    travel.by(timedelta(minutes=settings.EMAIL_BUNDLE_DELAY_MINUTES))
    deliver()
    [bundle] = _mails_to(world.instructor)
    assert "Still new" in bundle.body_text and "Read already" not in bundle.body_text


def test_it_sends_nothing_when_everything_was_read(world, threads, travel, deliver, settings):
    first, _ = threads
    _reply(first, world.participant, "Read already")
    deliver()
    follows.thread_mark_read(thread=first, user=world.instructor)
    travel.by(timedelta(minutes=settings.EMAIL_BUNDLE_DELAY_MINUTES))
    deliver()
    assert not _mails_to(world.instructor).exists()


def test_it_gathers_what_people_set_to_daily_into_one_digest_a_day(world, threads, deliver, travel):
    NotificationPreference.objects.create(
        user=world.instructor, reply_email=EmailMode.DAILY, mention_email=EmailMode.DAILY
    )
    first, second = threads
    world.participant.display_name = "Pat"
    world.participant.save(update_fields=["display_name"])
    _reply(first, world.participant, "Daily one")
    _reply(second, world.groupmate, "Daily two, thanks @[" + world.instructor.name + "]")
    deliver()
    assert not _mails_to(world.instructor).exists()

    assert digests_send() >= 1
    [digest] = _mails_to(world.instructor)
    assert digest.idempotency_key.startswith(f"digest:{world.instructor.pk}:")
    assert "Daily one" in digest.body_text and "Daily two" in digest.body_text
    assert digest.subject == "[Social training] Your daily digest: 2 things new"
    assert digest.headers["List-Unsubscribe"].strip("<>") in digest.body_text
    assert "email settings for the daily digest" in digest.body_text
    # A second run the same day sends nothing again; nothing waits for tomorrow's either.
    assert digests_send() == 0
    travel.by(timedelta(days=1))
    assert digests_send() == 0
    assert NotificationPreference.objects.get(user=world.instructor).last_digest_at is not None
