"""Telling followers of a post after the request, in batches, without flooding their inboxes."""

from datetime import timedelta

from cohorts.models import Enrolment
from notifications import scheduling
from notifications.models import Notification, OutboxMessage
from tests import factories


def _reply_url(world, thread):
    return f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/reply/"


def test_it_answers_a_reply_in_the_same_queries_whatever_the_followers(
    world, client_for, start_thread, django_assert_max_num_queries
):
    quiet = start_thread(title="Quiet")
    busy = start_thread(title="Busy")
    for _ in range(30):
        person = factories.UserFactory()
        Enrolment.objects.create(cohort=world.cohort, user=person)
        busy.follows.create(user=person)
    client = client_for(world.participant)

    with django_assert_max_num_queries(50) as few:
        client.post(_reply_url(world, quiet), {"body": "Hi", "idempotency_key": "a"})
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.post(_reply_url(world, busy), {"body": "Hi", "idempotency_key": "b"})
    # Nobody was told inside the request: a fan-out job does it after the response.
    assert not Notification.objects.filter(key__startswith="reply:").exists()
    assert scheduling.run_now("post_fanout") == 2
    # The instructor started both threads, so follows both: 1 + 31.
    assert Notification.objects.filter(key__startswith="reply:").count() == 32


def test_it_tells_thirty_followers_in_a_constant_number_of_queries(
    world, start_thread, reply_to, django_assert_max_num_queries
):
    thread = start_thread(title="Busy")
    reply_to(thread, author=world.groupmate)
    with django_assert_max_num_queries(30) as few:
        scheduling.run_now("post_fanout")
    for _ in range(30):
        person = factories.UserFactory()
        Enrolment.objects.create(cohort=world.cohort, user=person)
        thread.follows.create(user=person)
    reply_to(thread, author=world.groupmate, body="Again")
    with django_assert_max_num_queries(len(few.captured_queries)):
        scheduling.run_now("post_fanout")
    assert Notification.objects.filter(key__startswith="reply:").count() == 1 + 31


def test_forty_people_replying_within_ten_minutes_send_each_follower_one_email_that_hour(
    world, client_for, start_thread, travel, deliver
):
    """Everyone who replies follows the thread; with the default (bundled) preference, each
    follower gets at most one email for the thread in that hour, however many replies come."""
    thread = start_thread(title="What surprised you?")
    people = []
    for n in range(40):
        person = factories.UserFactory(email=f"replier{n}@example.test")
        Enrolment.objects.create(cohort=world.cohort, user=person)
        people.append(person)
    start = travel.freeze()
    for n, person in enumerate(people):
        travel.freeze(start + timedelta(seconds=15 * n))
        response = client_for(person).post(
            _reply_url(world, thread), {"body": f"Reply {n}", "idempotency_key": f"r{n}"}
        )
        assert response.status_code == 302
        deliver()
    travel.freeze(start + timedelta(minutes=59))
    deliver()

    followers = [world.instructor, *people]
    per_person = {
        person.email: OutboxMessage.objects.filter(to_email=person.email).count()
        for person in followers
    }
    assert max(per_person.values()) == 1, per_person
    # Each of them read about the thread once, with many replies in that one email.
    instructor_mail = OutboxMessage.objects.get(to_email=world.instructor.email)
    assert instructor_mail.body_text.count("What surprised you?") == 1
    assert "Reply 0" in instructor_mail.body_text and "Reply 30" in instructor_mail.body_text
    # In the app, everyone still sees every reply as it came.
    assert (
        Notification.objects.filter(user=world.instructor, key__startswith="reply:").count() == 40
    )
