"""Authors edit their posts within the window and remove them; a placeholder keeps the shape."""

from datetime import timedelta

from discussions.models import Post
from socialtraining import clock


def _post_url(world, post, action):
    return f"/cohorts/{world.cohort.pk}/threads/{post.thread_id}/posts/{post.pk}/{action}/"


def _thread_url(world, thread):
    return f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/"


def test_it_lets_the_author_edit_and_shows_edited(world, client_for, thread, reply_to):
    reply = reply_to(thread, body="Frist")
    client = client_for(world.participant)
    form = client.get(_post_url(world, reply, "edit")).content.decode()
    assert "Frist</textarea>" in form
    response = client.post(_post_url(world, reply, "edit"), {"body": "First"})
    assert response["Location"].endswith(f"#post-{reply.pk}")
    reply.refresh_from_db()
    assert reply.body == "First" and reply.edited_at is not None
    body = client.get(_thread_url(world, thread)).content.decode()
    assert ">edited</span>" in body and "First" in body


def test_it_refuses_an_edit_after_the_window_and_keeps_the_text(
    world, client_for, thread, reply_to, settings
):
    settings.POST_EDIT_WINDOW_MINUTES = 30
    reply = reply_to(thread, body="Old words")
    Post.objects.filter(pk=reply.pk).update(created_at=clock.now() - timedelta(minutes=31))
    client = client_for(world.participant)
    page = client.get(_thread_url(world, thread)).content.decode()
    assert _post_url(world, reply, "edit") not in page
    response = client.post(_post_url(world, reply, "edit"), {"body": "New words"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Posts can be edited for 30 minutes after posting" in body
    assert "New words</textarea>" in body
    assert Post.objects.get(pk=reply.pk).body == "Old words"


def test_it_lets_no_one_else_edit(world, client_for, thread, reply_to):
    reply = reply_to(thread, body="Mine")
    response = client_for(world.instructor).post(_post_url(world, reply, "edit"), {"body": "Hi"})
    assert response.status_code == 400
    assert "Only its author can edit a post." in response.content.decode()
    assert Post.objects.get(pk=reply.pk).body == "Mine"


def test_it_removes_a_reply_and_keeps_its_comments(world, client_for, thread, reply_to):
    reply = reply_to(thread, body="Regrettable")
    reply_to(thread, parent=reply, author=world.groupmate, body="A comment stays")
    response = client_for(world.participant).post(_post_url(world, reply, "remove"))
    assert response["Location"].endswith(f"#post-{reply.pk}")
    assert Post.objects.get(pk=reply.pk).removed_at is not None
    body = client_for(world.groupmate).get(_thread_url(world, thread)).content.decode()
    assert "This post was removed." in body and "Regrettable" not in body
    assert "A comment stays" in body
    assert f'id="post-{reply.pk}"' in body


def test_it_lets_an_instructor_remove_a_participants_post(world, client_for, thread, reply_to):
    reply = reply_to(thread)
    client_for(world.instructor).post(_post_url(world, reply, "remove"))
    assert Post.objects.get(pk=reply.pk).removed_at is not None


def test_it_refuses_a_peer_removing_a_post(world, client_for, thread, reply_to):
    reply = reply_to(thread)
    response = client_for(world.groupmate).post(_post_url(world, reply, "remove"))
    assert response.status_code == 400
    assert "Only its author or an instructor can remove a post." in response.content.decode()
    assert Post.objects.get(pk=reply.pk).removed_at is None


def test_it_keeps_the_thread_when_its_opening_post_is_removed(
    world, client_for, start_thread, reply_to
):
    thread = start_thread(author=world.participant, title="Keep me", body="Opening words")
    reply_to(thread, author=world.groupmate, body="A reply stays")
    opening = Post.objects.get(thread=thread, is_opening=True)
    client_for(world.participant).post(_post_url(world, opening, "remove"))
    body = client_for(world.groupmate).get(_thread_url(world, thread)).content.decode()
    assert "Keep me" in body and "This post was removed." in body
    assert "Opening words" not in body and "A reply stays" in body
