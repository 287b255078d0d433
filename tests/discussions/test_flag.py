"""Flagging a post: a reason, one flag per person, never your own; three open flags hide it."""

import pytest
from django.core import mail

from discussions.models import Flag, Post
from notifications.models import Notification

HTMX = {"HX-Request": "true"}


def _flag_url(world, post):
    return f"/cohorts/{world.cohort.pk}/threads/{post.thread_id}/posts/{post.pk}/flag/"


def _thread_url(world, thread):
    return f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/"


@pytest.fixture
def reply(world, thread, reply_to):
    return reply_to(thread, author=world.participant, body="Just do what I say.")


def test_it_shows_a_flag_control_on_other_peoples_posts_only(world, client_for, thread, reply):
    page = client_for(world.groupmate).get(_thread_url(world, thread)).content.decode()
    assert f'action="{_flag_url(world, reply)}"' in page
    own_page = client_for(world.participant).get(_thread_url(world, thread)).content.decode()
    assert f'action="{_flag_url(world, reply)}"' not in own_page


def test_it_flags_a_post_with_a_reason_and_confirms(world, client_for, thread, reply):
    client = client_for(world.groupmate)
    response = client.post(
        _flag_url(world, reply), {"reason": "unkind", "note": "  Rude,\n  really "}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{_thread_url(world, thread)}#post-{reply.pk}"
    flag = Flag.objects.get(post=reply)
    assert flag.user == world.groupmate
    assert flag.reason == "Unkind or disrespectful: Rude, really"
    assert "A moderator will review the post" in client.get(response["Location"]).content.decode()


def test_it_flags_inline_with_htmx(world, client_for, reply):
    client = client_for(world.groupmate)
    form = client.get(_flag_url(world, reply), headers=HTMX).content.decode()
    assert "<html" not in form and f'hx-post="{_flag_url(world, reply)}"' in form
    response = client.post(_flag_url(world, reply), {"reason": "offtopic"}, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert f'id="flag-{reply.pk}"' in body and "A moderator will review the post" in body
    assert Flag.objects.get(post=reply).reason == "Off-topic or spam"


def test_it_refuses_to_flag_your_own_post(world, client_for, reply):
    response = client_for(world.participant).post(_flag_url(world, reply), {"reason": "unkind"})
    assert response.status_code == 400
    assert "You can&#x27;t flag your own post" in response.content.decode()
    assert not Flag.objects.exists()


def test_it_takes_one_flag_per_person(world, client_for, reply):
    client = client_for(world.groupmate)
    client.post(_flag_url(world, reply), {"reason": "unkind"})
    response = client.post(_flag_url(world, reply), {"reason": "offtopic"})
    assert response.status_code == 400
    assert "already flagged this post" in response.content.decode()
    assert Flag.objects.filter(post=reply).count() == 1


def test_it_does_not_reopen_a_flag_a_moderator_resolved(world, client_for, reply):
    client = client_for(world.groupmate)
    client.post(_flag_url(world, reply), {"reason": "unkind"})
    client_for(world.instructor).post(
        f"/cohorts/{world.cohort.pk}/threads/{reply.thread_id}/posts/{reply.pk}/dismiss/"
    )
    response = client_for(world.groupmate).post(_flag_url(world, reply), {"reason": "unkind"})
    assert response.status_code == 400
    assert "a moderator has reviewed it" in response.content.decode()
    assert Flag.objects.get(post=reply).resolved_at is not None


def test_it_asks_what_is_wrong_and_keeps_the_text(world, client_for, reply):
    client = client_for(world.groupmate)
    response = client.post(_flag_url(world, reply), {"reason": "other", "note": "   "})
    assert response.status_code == 400
    assert "Please say in a few words what is wrong." in response.content.decode()
    response = client.post(_flag_url(world, reply), {"reason": "other", "note": "x" * 301})
    assert response.status_code == 400
    assert "x" * 301 in response.content.decode()
    response = client.post(_flag_url(world, reply), {"reason": "made-up"})
    assert response.status_code == 400
    assert not Flag.objects.exists()


def test_it_hides_a_post_at_three_open_flags_and_tells_its_author_once(
    world, client_for, thread, reply, django_capture_on_commit_callbacks
):
    flaggers = [world.groupmate, world.other_group_participant, world.instructor, world.manager]
    with django_capture_on_commit_callbacks(execute=True):
        for n, flagger in enumerate(flaggers, start=1):
            client_for(flagger).post(_flag_url(world, reply), {"reason": "unkind"})
            hidden = Post.objects.get(pk=reply.pk).hidden_at is not None
            assert hidden == (n >= 3)
    notices = Notification.objects.filter(user=world.participant, key__startswith="post-hidden")
    assert notices.count() == 1
    assert "hidden for now" in notices.get().title
    assert "not a judgement of you" in notices.get().body
    assert [m.to for m in mail.outbox if "hidden for now" in m.subject] == [
        [world.participant.email]
    ]


def test_it_shows_a_hidden_post_by_who_is_looking(world, client_for, thread, reply):
    Post.objects.filter(pk=reply.pk).update(hidden_at="2026-01-01T00:00:00Z")
    member = client_for(world.groupmate).get(_thread_url(world, thread)).content.decode()
    assert "This post is hidden while a moderator reviews it." in member
    assert "Just do what I say." not in member
    author = client_for(world.participant).get(_thread_url(world, thread)).content.decode()
    assert "Only you and the moderators can see this post for now" in author
    assert "Just do what I say." in author
    instructor = client_for(world.instructor).get(_thread_url(world, thread)).content.decode()
    assert "Members see a placeholder until a moderator restores it" in instructor
    assert "Just do what I say." in instructor


def test_it_does_not_flag_a_post_in_another_study_group(
    world, client_for, other_group_thread, reply_to
):
    post = reply_to(other_group_thread, author=world.other_group_participant)
    response = client_for(world.participant).post(_flag_url(world, post), {"reason": "unkind"})
    assert response.status_code == 404
    assert not Flag.objects.exists()


def test_it_offers_cancel_which_gives_the_flag_button_back(world, client_for, thread, reply):
    client = client_for(world.groupmate)
    form = client.get(_flag_url(world, reply), headers=HTMX).content.decode()
    assert f'hx-get="{_flag_url(world, reply)}?cancel=1"' in form and ">Cancel</a>" in form
    button = client.get(f"{_flag_url(world, reply)}?cancel=1", headers=HTMX).content.decode()
    assert f'<form id="flag-{reply.pk}" method="get" action="{_flag_url(world, reply)}"' in button
    assert "Flag this post" not in button
    # Without JavaScript the page's Cancel goes back to the post in its thread.
    page = client.get(_flag_url(world, reply)).content.decode()
    assert f'href="{_thread_url(world, thread)}#post-{reply.pk}">Cancel</a>' in page
    assert not Flag.objects.exists()
