"""The daily digest: followed threads with unread replies and new prompt threads, once a day."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from cohorts.models import Enrolment
from discussions import services
from discussions.models import Follow, Prompt, ReadMarker
from discussions.tasks import send_daily_digests
from notifications.models import NotificationPreference, OutboxMessage
from socialtraining import clock
from tests import factories


def _digests_to(user):
    return OutboxMessage.objects.filter(to_email=user.email, idempotency_key__startswith="digest:")


@pytest.fixture
def busy(world, thread, reply_to):
    """The participant follows `thread` (they replied); two peers replied after them."""
    reply_to(thread, author=world.participant, body="Mine")
    reply_to(thread, author=world.groupmate, body="Peer one")
    reply_to(thread, author=world.other_group_participant, body="Peer two")
    OutboxMessage.objects.all().delete()
    mail.outbox.clear()
    return thread


def test_it_sends_one_digest_with_links_and_unsubscribe_headers(
    world, busy, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send_daily_digests()
    message = _digests_to(world.participant).get()
    today = timezone.localtime(clock.now()).date()
    assert message.idempotency_key == f"digest:{world.participant.pk}:{today.isoformat()}"
    assert busy.title in message.body_text and "2 new replies" in message.body_text
    assert f"/cohorts/{world.cohort.pk}/threads/{busy.pk}/" in message.body_html
    unsubscribe = re.search(r"<(http[^>]+/notifications/unsubscribe/[^>]+/)>", str(message.headers))
    assert unsubscribe and message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.group(1) in message.body_text
    sent = [m for m in mail.outbox if m.to == [world.participant.email]]
    assert sent and sent[0].extra_headers["List-Unsubscribe"] == f"<{unsubscribe.group(1)}>"


def test_it_sends_once_however_often_it_runs(world, busy):
    send_daily_digests()
    NotificationPreference.objects.filter(user=world.participant).update(last_digest_at=None)
    send_daily_digests()
    assert _digests_to(world.participant).count() == 1


def test_it_leaves_out_what_was_read_or_switched_off(world, busy):
    ReadMarker.objects.create(thread=busy, user=world.participant, read_at=clock.now())
    # The groupmate has one unread reply after theirs, but switched the digest off.
    NotificationPreference.objects.create(user=world.groupmate, daily_digest=False)
    services.digests_send()
    assert not _digests_to(world.participant).exists()
    assert not _digests_to(world.groupmate).exists()
    # The instructor (author, following) still gets theirs: the subject counts the threads.
    assert _digests_to(world.instructor).get().subject.endswith("1 thread with something new")


def test_it_leaves_out_a_group_thread_after_moving_out_of_the_group(world, start_thread, reply_to):
    thread = start_thread(author=world.participant, study_group=world.group, title="Blue only")
    reply_to(thread, author=world.groupmate)
    Enrolment.objects.filter(user=world.participant, cohort=world.cohort).update(
        study_group=world.other_group
    )
    services.digests_send()
    assert not _digests_to(world.participant).exists()


def test_it_lists_new_prompt_threads_of_my_spaces_only(world):
    prompt = Prompt.objects.create(
        cohort=world.cohort, author=world.instructor, title="Green question", target="groups"
    )
    services.prompt_release(prompt)
    OutboxMessage.objects.all().delete()
    services.digests_send()
    green = _digests_to(world.other_group_participant).get()
    assert "Green question" in green.body_text
    assert _digests_to(world.participant).get().body_text.count("Green question") == 1
    assert not _digests_to(world.other_cohort_participant).exists()


def test_it_builds_in_the_same_queries_for_many_people_and_threads(
    world, start_thread, reply_to, django_assert_max_num_queries
):
    def activity(n):
        for i in range(n):
            thread = start_thread(title=f"T{i}")
            person = factories.UserFactory()
            factories.EnrolmentFactory(cohort=world.cohort, user=person)
            Follow.objects.create(thread=thread, user=person)
            reply_to(thread, author=world.groupmate)

    activity(2)
    with django_assert_max_num_queries(10) as few:
        small = services.digests_build(now=clock.now())
    activity(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        large = services.digests_build(now=clock.now())
    assert len(large) > len(small)


def test_it_writes_the_digests_in_chunks_not_one_query_per_person(
    travel, world, start_thread, reply_to, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(services, "DIGEST_CHUNK", 2)

    def activity(n):
        for i in range(n):
            thread = start_thread(title=f"T{i}")
            person = factories.UserFactory()
            factories.EnrolmentFactory(cohort=world.cohort, user=person)
            Follow.objects.create(thread=thread, user=person)
            reply_to(thread, author=world.groupmate)

    activity(3)
    first = clock.now()
    with django_assert_max_num_queries(40) as few:
        services.digests_send()
    sent = OutboxMessage.objects.filter(idempotency_key__startswith="digest:").count()
    activity(8)
    # The same day again: only the new people's digests, each with its unsubscribe headers.
    # At most three more chunks of 2, each a savepoint, an insert, a select and a release.
    with django_assert_max_num_queries(len(few.captured_queries) + 3 * 4):
        travel.to(first + timedelta(minutes=5))
        services.digests_send()
    digests = OutboxMessage.objects.filter(idempotency_key__startswith="digest:")
    assert digests.count() > sent + 7
    assert all(m.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for m in digests)
