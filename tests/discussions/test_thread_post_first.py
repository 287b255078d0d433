"""'Post before you see replies': a participant sees peers' replies only after posting their own."""

import pytest

from discussions.models import Post, PostKind, Thread

HTMX = {"HX-Request": "true"}


@pytest.fixture
def post_first_thread(world, thread, reply_to):
    Thread.objects.filter(pk=thread.pk).update(post_first=True)
    thread.refresh_from_db()
    reply = reply_to(thread, author=world.groupmate, body="Groupmate's answer")
    reply_to(thread, author=world.other_group_participant, body="Green's answer")
    reply_to(thread, author=world.instructor, body="A comment", parent=reply)
    return thread


def _url(world, thread):
    return f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/"


def test_it_hides_peers_replies_until_the_participant_posts(world, client_for, post_first_thread):
    body = client_for(world.participant).get(_url(world, post_first_thread)).content.decode()
    assert "2 replies are hidden until you post yours." in body
    assert "Groupmate's answer" not in body and "A comment" not in body
    assert "Tell us about a time." in body and 'id="reply-form"' in body


@pytest.mark.parametrize("who", ["instructor", "manager"])
def test_it_shows_every_reply_to_instructors_and_managers(
    world, client_for, post_first_thread, who
):
    body = client_for(getattr(world, who)).get(_url(world, post_first_thread)).content.decode()
    assert "Groupmate's answer" in body and "Green's answer" in body and "hidden until" not in body


def test_it_shows_peers_after_a_full_page_reply(world, client_for, post_first_thread):
    client = client_for(world.participant)
    client.post(f"{_url(world, post_first_thread)}reply/", {"body": "Mine", "idempotency_key": "k"})
    body = client.get(_url(world, post_first_thread)).content.decode()
    assert "Groupmate's answer" in body and "Mine" in body and "hidden until" not in body


def test_it_reveals_peers_in_the_htmx_answer_to_the_first_reply(
    world, client_for, post_first_thread
):
    response = client_for(world.participant).post(
        f"{_url(world, post_first_thread)}reply/",
        {"body": "My own take", "idempotency_key": "k"},
        headers=HTMX,
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<form id="reply-form"')
    assert '<section id="replies-section"' in body and 'hx-swap-oob="true"' in body
    assert "Groupmate's answer" in body and "My own take" in body and "A comment" in body


def test_it_keeps_peers_hidden_in_load_more_fragments(world, client_for, post_first_thread):
    Post.objects.bulk_create(
        Post(thread=post_first_thread, author=world.groupmate, kind=PostKind.REPLY, body=f"R{i}")
        for i in range(60)
    )
    url = f"{_url(world, post_first_thread)}?page=2"
    body = client_for(world.participant).get(url, headers=HTMX).content.decode()
    assert "R59" not in body and 'class="reply"' not in body
    assert "R59" in client_for(world.instructor).get(url, headers=HTMX).content.decode()


def test_it_refuses_to_reach_a_hidden_reply_by_its_id(world, client_for, post_first_thread):
    peer_reply = Post.objects.get(body="Groupmate's answer")
    client = client_for(world.participant)
    base = f"{_url(world, post_first_thread)}posts/{peer_reply.pk}"
    assert client.post(f"{base}/react/", {"kind": "like"}).status_code == 404
    comment = client.post(f"{base}/comment/", {"body": "x", "idempotency_key": "k"})
    assert comment.status_code == 404
