"""The moderation queue: flagged and hidden posts per cohort, hide, restore and dismiss."""

from discussions import moderation
from discussions.models import Flag, Post
from notifications.models import Notification
from socialtraining import clock
from tests import factories

HTMX = {"HX-Request": "true"}


def _queue_url(world):
    return f"/cohorts/{world.cohort.pk}/discussions/moderation/"


def _action_url(world, post, action):
    return f"/cohorts/{world.cohort.pk}/threads/{post.thread_id}/posts/{post.pk}/{action}/"


def _flag(post, *users, reason="Unkind or disrespectful"):
    for user in users:
        moderation.post_flag(post=post, user=user, reason=reason)


def test_it_lists_flagged_posts_with_their_reasons_and_counts(world, client_for, thread, reply_to):
    post = reply_to(thread, author=world.participant, body="A sharp reply")
    reply_to(thread, author=world.groupmate, body="A calm reply")
    _flag(post, world.groupmate, reason="Off-topic or spam: adverts")
    _flag(post, world.other_group_participant)
    body = client_for(world.instructor).get(_queue_url(world)).content.decode()
    assert "A sharp reply" in body and "A calm reply" not in body
    assert "2 open flags" in body
    assert "Off-topic or spam (1), Unkind or disrespectful (1)" in body
    assert "Off-topic or spam: adverts" in body
    assert f'action="{_action_url(world, post, "hide")}"' in body
    assert f'action="{_action_url(world, post, "dismiss")}"' in body
    assert f'href="/cohorts/{world.cohort.pk}/threads/{thread.pk}/?page=1#post-{post.pk}"' in body


def test_it_says_when_there_is_nothing_to_review(world, client_for, thread):
    body = client_for(world.manager).get(_queue_url(world)).content.decode()
    assert "Nothing to review" in body


def test_it_hides_a_post_and_resolves_its_flags(world, client_for, thread, reply_to):
    post = reply_to(thread, author=world.participant)
    _flag(post, world.groupmate)
    response = client_for(world.instructor).post(_action_url(world, post, "hide"))
    assert response.status_code == 302 and response["Location"] == _queue_url(world)
    post.refresh_from_db()
    assert post.hidden_at is not None
    assert not Flag.objects.filter(post=post, resolved_at__isnull=True).exists()
    assert Flag.objects.get(post=post).resolved_by == world.instructor
    notice = Notification.objects.get(user=world.participant, key__startswith="post-hidden")
    assert "An instructor has hidden it" in notice.body
    # Still in the queue, reviewed, so it can be restored later.
    body = client_for(world.instructor).get(_queue_url(world)).content.decode()
    assert "Reviewed and hidden" in body and f"{post.pk}/restore/" in body


def test_it_restores_a_hidden_post_and_tells_its_author(world, client_for, thread, reply_to):
    post = reply_to(thread, author=world.participant)
    _flag(post, world.groupmate, world.other_group_participant, world.manager)
    assert Post.objects.get(pk=post.pk).hidden_at is not None
    response = client_for(world.instructor).post(_action_url(world, post, "restore"))
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.hidden_at is None
    assert Flag.objects.filter(post=post, resolved_at__isnull=False).count() == 3
    restored = Notification.objects.get(user=world.participant, key__startswith="post-restored")
    assert "visible again" in restored.title
    body = client_for(world.groupmate).get(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/")
    assert "A reply." in body.content.decode()


def test_it_dismisses_flags_and_leaves_the_post_visible(world, client_for, thread, reply_to):
    post = reply_to(thread, author=world.participant)
    _flag(post, world.groupmate)
    client_for(world.manager).post(_action_url(world, post, "dismiss"))
    post.refresh_from_db()
    assert post.hidden_at is None
    assert Flag.objects.get(post=post).resolved_at is not None
    assert "Nothing to review" in client_for(world.manager).get(_queue_url(world)).content.decode()
    assert not Notification.objects.filter(user=world.participant, key__startswith="post-")


def test_it_acts_inline_with_htmx(world, client_for, thread, reply_to):
    post = reply_to(thread, author=world.participant)
    _flag(post, world.groupmate)
    response = client_for(world.instructor).post(_action_url(world, post, "hide"), headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert f'id="queue-{post.pk}"' in body and "The post is hidden from members." in body
    assert f"{post.pk}/restore/" in body


def test_it_counts_posts_waiting_for_review_for_instructors(world, client_for, thread, reply_to):
    for author in (world.participant, world.groupmate):
        _flag(reply_to(thread, author=author), world.other_group_participant)
    feed = client_for(world.instructor).get(f"/cohorts/{world.cohort.pk}/discussions/")
    body = feed.content.decode()
    assert f'href="{_queue_url(world)}"' in body
    # The count comes with the page: no request after it.
    assert '2<span class="visually-hidden"> waiting for review</span>' in body
    assert f"{_queue_url(world)}count/" not in body
    member_feed = client_for(world.participant).get(f"/cohorts/{world.cohort.pk}/discussions/")
    assert _queue_url(world) not in member_feed.content.decode()


def test_it_does_not_moderate_for_participants(world, client_for, thread, reply_to):
    post = reply_to(thread, author=world.groupmate)
    _flag(post, world.other_group_participant)
    response = client_for(world.participant).post(_action_url(world, post, "hide"))
    assert response.status_code == 404
    assert Post.objects.get(pk=post.pk).hidden_at is None


def test_it_lists_a_page_in_constant_queries(
    world, client_for, start_thread, reply_to, django_assert_max_num_queries
):
    client = client_for(world.instructor)

    def flag_posts(n):
        thread = start_thread(title=f"Thread {n}")
        flaggers = [factories.UserFactory() for _ in range(3)]
        for i in range(n):
            post = reply_to(thread, author=world.participant, body=f"Post {i}")
            Flag.objects.bulk_create(Flag(post=post, user=u, reason="Off-topic") for u in flaggers)
        Post.objects.filter(thread=thread).update(hidden_at=clock.now())

    flag_posts(2)
    with django_assert_max_num_queries(9) as few:
        client.get(_queue_url(world))
    flag_posts(25)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(_queue_url(world)).content.decode()
    assert "Page 1 of 2" in body


def test_it_tells_the_cohort_overview_s_teachers_what_waits_for_review(
    world, client_for, thread, reply_to
):
    post = reply_to(thread, author=world.participant, body="A sharp reply")
    overview = f"/cohorts/{world.cohort.pk}/"
    assert "flagged for review" not in client_for(world.instructor).get(overview).content.decode()
    _flag(post, world.groupmate)
    link = f'<a href="{_queue_url(world)}">1 post flagged for review</a>'
    for teacher in (world.instructor, world.manager):
        assert link in client_for(teacher).get(overview).content.decode()
    assert "flagged for review" not in client_for(world.groupmate).get(overview).content.decode()
