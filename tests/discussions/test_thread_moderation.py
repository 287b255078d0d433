"""Instructors and managers endorse replies, pin and lock threads; participants cannot."""

import pytest

from discussions.models import Post, Thread


def _thread_url(world, thread):
    return f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/"


def _endorse_url(world, post):
    return f"/cohorts/{world.cohort.pk}/threads/{post.thread_id}/posts/{post.pk}/endorse/"


@pytest.mark.parametrize("who", ["instructor", "manager"])
def test_it_endorses_a_reply_and_shows_who_did(world, client_for, thread, reply_to, who):
    reply = reply_to(thread)
    client = client_for(getattr(world, who))
    response = client.post(_endorse_url(world, reply), {"on": "1"})
    assert response["Location"].endswith(f"?page=1#post-{reply.pk}")
    reply.refresh_from_db()
    assert reply.endorsed_by == getattr(world, who)
    body = client_for(world.groupmate).get(_thread_url(world, thread)).content.decode()
    assert f"Endorsed by {getattr(world, who).name}" in body

    client_for(getattr(world, who)).post(_endorse_url(world, reply))
    reply.refresh_from_db()
    assert reply.endorsed_by is None


def test_it_refuses_to_endorse_a_comment(world, client_for, thread, reply_to):
    comment = reply_to(thread, parent=reply_to(thread))
    response = client_for(world.instructor).post(_endorse_url(world, comment), {"on": "1"})
    assert response.status_code == 400
    assert "Only a reply can be endorsed." in response.content.decode()


def test_it_hides_moderation_from_participants(world, client_for, thread, reply_to):
    reply = reply_to(thread, author=world.groupmate)
    client = client_for(world.participant)
    assert client.post(_endorse_url(world, reply), {"on": "1"}).status_code == 404
    assert client.post(f"{_thread_url(world, thread)}pin/", {"on": "1"}).status_code == 404
    assert client.post(f"{_thread_url(world, thread)}lock/", {"on": "1"}).status_code == 404
    body = client.get(_thread_url(world, thread)).content.decode()
    assert "Endorse" not in body and "Lock</button>" not in body
    thread.refresh_from_db()
    assert not (thread.pinned or thread.locked)
    assert Post.objects.get(pk=reply.pk).endorsed_by is None


def test_it_pins_a_thread_to_the_top_of_the_feed(world, client_for, start_thread):
    older = start_thread(title="Older one")
    start_thread(title="Newer one")
    client = client_for(world.instructor)
    response = client.post(f"{_thread_url(world, older)}pin/", {"on": "1"})
    assert response["Location"] == _thread_url(world, older)
    feed = client_for(world.participant).get(f"/cohorts/{world.cohort.pk}/discussions/")
    body = feed.content.decode()
    assert body.index("Older one") < body.index("Newer one")
    assert "Pinned ·" in body

    client_for(world.instructor).post(f"{_thread_url(world, older)}pin/")
    assert not Thread.objects.get(pk=older.pk).pinned


def test_it_locks_and_unlocks_a_thread(world, client_for, thread):
    client_for(world.manager).post(f"{_thread_url(world, thread)}lock/", {"on": "1"})
    body = client_for(world.participant).get(_thread_url(world, thread)).content.decode()
    assert "This thread is locked: it takes no new replies." in body
    assert 'id="reply-form"' not in body
    response = client_for(world.participant).post(
        f"{_thread_url(world, thread)}reply/", {"body": "Late", "idempotency_key": "k"}
    )
    assert response.status_code == 400
    assert not Post.objects.filter(thread=thread, is_opening=False).exists()

    client_for(world.manager).post(f"{_thread_url(world, thread)}lock/")
    body = client_for(world.participant).get(_thread_url(world, thread)).content.decode()
    assert 'id="reply-form"' in body


def test_it_keeps_a_thread_locked_when_the_lock_form_is_sent_twice(world, client_for, thread):
    client = client_for(world.instructor)
    for _ in range(2):
        client.post(f"{_thread_url(world, thread)}lock/", {"on": "1"})
    thread.refresh_from_db()
    assert thread.locked


HTMX = {"HX-Request": "true"}


def test_it_brings_a_post_s_tools_on_demand_for_instructors(world, client_for, thread, reply_to):
    reply = reply_to(thread, author=world.groupmate)
    client = client_for(world.instructor)
    page = client.get(_thread_url(world, thread)).content.decode()
    moderate = f"{_thread_url(world, thread)}posts/{reply.pk}/moderate/"
    assert f'action="{moderate}"' in page and "Endorse</button>" not in page
    tools = client.get(moderate, headers=HTMX).content.decode()
    assert "<html" not in tools and 'role="group" aria-label="Moderate this post"' in tools
    assert f'formaction="{_endorse_url(world, reply)}" name="on" value="1">Endorse<' in tools
    assert "Remove this post" in tools and ">Flag</button>" in tools
    assert f"posts/{reply.pk}/spark/" in tools
    # Without JavaScript, the same tools on a page of their own, and they work.
    page = client.get(moderate).content.decode()
    assert "<html" in page and 'id="post-action"' in page and "Endorse<" in page
    client.post(_endorse_url(world, reply), {"on": "1"})
    assert Post.objects.get(pk=reply.pk).endorsed_by == world.instructor
    assert client_for(world.participant).get(moderate).status_code == 404
