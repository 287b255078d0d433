"""Following a thread: an htmx toggle with a form fallback; followers re-checked on replies."""

from cohorts.models import Enrolment
from discussions.models import Follow
from notifications import scheduling
from notifications.models import EmailMode, Notification, NotificationPreference, OutboxMessage


def _url(world, thread):
    return f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/follow/"


def test_it_follows_and_unfollows_without_javascript(world, client_for, thread):
    client = client_for(world.participant)
    response = client.post(_url(world, thread), {"on": "1"})
    assert response.status_code == 302
    assert Follow.objects.filter(thread=thread, user=world.participant).exists()
    # A resent "follow" form changes nothing more.
    client.post(_url(world, thread), {"on": "1"})
    assert Follow.objects.filter(thread=thread, user=world.participant).count() == 1
    client.post(_url(world, thread))
    assert not Follow.objects.filter(thread=thread, user=world.participant).exists()


def test_it_toggles_inline_with_htmx(world, client_for, thread):
    client = client_for(world.participant)
    page = client.get(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/").content.decode()
    assert "Follow this thread" in page
    body = client.post(_url(world, thread), {"on": "1"}, headers={"HX-Request": "true"})
    html = body.content.decode()
    assert html.lstrip().startswith("<form") and 'id="follow-form"' in html
    assert 'aria-pressed="true"' in html and "<html" not in html


def test_it_notifies_followers_by_email_unless_switched_off(
    world, client_for, thread, reply_to, deliver
):
    # The instructor started the thread, so follows it; they want replies emailed at once.
    preferences = NotificationPreference.objects.create(
        user=world.instructor, reply_email=EmailMode.IMMEDIATELY
    )
    reply_to(thread, author=world.participant)
    deliver()
    assert Notification.objects.filter(user=world.instructor, key__startswith="reply:").exists()
    [email] = OutboxMessage.objects.filter(to_email=world.instructor.email)
    # The email carries the reply itself, not only a title.
    assert "A reply" in email.content()["body_text"] and "A reply" in email.content()["body_html"]
    preferences.reply_email = EmailMode.NEVER
    preferences.save()
    reply_to(thread, author=world.groupmate)
    deliver()
    assert Notification.objects.filter(user=world.instructor, key__startswith="reply:").count() == 2
    assert OutboxMessage.objects.filter(to_email=world.instructor.email).count() == 1


def test_it_tells_no_one_who_left_the_study_group(world, start_thread, reply_to, deliver):
    thread = start_thread(author=world.participant, study_group=world.group, title="Blue only")
    reply_to(thread, author=world.groupmate)
    deliver()
    Enrolment.objects.filter(user=world.participant, cohort=world.cohort).update(
        study_group=world.other_group
    )
    reply_to(thread, author=world.groupmate, body="Another")
    deliver()
    assert (
        Notification.objects.filter(user=world.participant, key__startswith="reply:").count() == 1
    )


def _lookups(queries) -> int:
    """Queries that read people, enrolments or preferences (not the notification writes)."""
    tables = ('FROM "accounts_user"', 'FROM "cohorts_enrolment"', "notificationpreference")
    return sum(
        1 for q in queries if q["sql"].startswith("SELECT") and any(t in q["sql"] for t in tables)
    )


def test_it_checks_followers_in_one_query_however_many(
    world, start_thread, reply_to, django_assert_max_num_queries
):
    one, three = start_thread(title="One"), start_thread(title="Three")
    for user in (world.participant, world.groupmate):
        Follow.objects.get_or_create(thread=three, user=user)
    with django_assert_max_num_queries(60) as few:
        reply_to(one, author=world.manager)
        scheduling.run_now("post_fanout")
    with django_assert_max_num_queries(60) as many:
        reply_to(three, author=world.manager)
        scheduling.run_now("post_fanout")
    assert Notification.objects.filter(key__startswith="reply:").count() == 4
    assert _lookups(many.captured_queries) == _lookups(few.captured_queries)
