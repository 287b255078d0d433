"""Reactions: like, learned something, useful; one of each per person, toggled inline."""

import re

from discussions.models import Post, Reaction, Thread

HTMX = {"HX-Request": "true"}


def _react_url(world, post):
    return f"/cohorts/{world.cohort.pk}/threads/{post.thread_id}/posts/{post.pk}/react/"


def _button(body, kind):
    return re.search(rf'<button [^>]*value="{kind}"[^>]*>.*?</button>', body, re.S).group(0)


def test_it_toggles_a_reaction_inline_with_htmx(world, client_for, thread, reply_to):
    reply = reply_to(thread, author=world.groupmate)
    client = client_for(world.participant)
    on = {"kind": "learned", "on": "1"}
    body = client.post(_react_url(world, reply), on, headers=HTMX).content.decode()
    assert body.lstrip().startswith(f'<div id="reactions-{reply.pk}"')
    assert 'aria-pressed="true"' in _button(body, "learned")
    assert '<span class="reaction-count">1</span>' in _button(body, "learned")
    assert 'aria-pressed="false"' in _button(body, "like")
    thread.refresh_from_db()
    assert thread.reaction_count == 1
    # The button now asks to take it back.
    assert '<input type="hidden" name="on"' not in body[body.index('value="learned"') :][:200]

    body = client.post(_react_url(world, reply), {"kind": "learned"}, headers=HTMX).content.decode()
    assert 'aria-pressed="false"' in _button(body, "learned")
    assert not Reaction.objects.exists()
    thread.refresh_from_db()
    assert thread.reaction_count == 0


def test_it_keeps_one_of_each_kind_per_person(world, client_for, thread, reply_to):
    reply = reply_to(thread)
    for user in (world.participant, world.groupmate):
        client = client_for(user)
        for kind in ("like", "useful"):
            client.post(_react_url(world, reply), {"kind": kind, "on": "1"}, headers=HTMX)
    body = client_for(world.instructor).get(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/")
    html = body.content.decode()
    reactions = html[html.index(f'id="reactions-{reply.pk}"') :]
    assert '<span class="reaction-count">2</span>' in _button(reactions, "like")
    assert '<span class="reaction-count">0</span>' in _button(reactions, "learned")
    assert 'aria-pressed="false"' in _button(reactions, "like")
    assert Thread.objects.get(pk=thread.pk).reaction_count == 4


def test_it_reacts_without_javascript_and_returns_to_the_post(world, client_for, thread, reply_to):
    reply = reply_to(thread)
    response = client_for(world.groupmate).post(
        _react_url(world, reply), {"kind": "like", "on": "1"}
    )
    assert response.status_code == 302
    assert response["Location"] == (
        f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/?page=1#post-{reply.pk}"
    )
    assert Reaction.objects.get().user == world.groupmate


def test_it_refuses_a_reaction_to_a_removed_post(world, client_for, thread, reply_to):
    reply = reply_to(thread)
    Post.objects.filter(pk=reply.pk).update(removed_at="2026-01-01T00:00Z")
    response = client_for(world.groupmate).post(
        _react_url(world, reply), {"kind": "like", "on": "1"}
    )
    assert response.status_code == 400
    assert "takes no reactions" in response.content.decode()
    assert not Reaction.objects.exists()


def test_it_refuses_an_unknown_reaction(world, client_for, thread, reply_to):
    reply = reply_to(thread)
    response = client_for(world.groupmate).post(_react_url(world, reply), {"kind": "angry"})
    assert response.status_code == 400
    assert not Reaction.objects.exists()


def test_it_hides_another_groups_post_from_a_reaction(
    world, client_for, other_group_thread, reply_to
):
    reply = reply_to(other_group_thread, author=world.other_group_participant)
    response = client_for(world.participant).post(
        _react_url(world, reply), {"kind": "like", "on": "1"}
    )
    assert response.status_code == 404
    assert not Reaction.objects.exists()


def test_it_shows_no_reaction_buttons_on_a_removed_post(world, client_for, thread, reply_to):
    reply = reply_to(thread)
    Post.objects.filter(pk=reply.pk).update(removed_at="2026-01-01T00:00Z")
    body = client_for(world.groupmate).get(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/")
    assert f'id="reactions-{reply.pk}"' not in body.content.decode()
    assert "This post was removed." in body.content.decode()


def test_it_counts_a_resent_reaction_once(world, client_for, thread, reply_to):
    reply = reply_to(thread)
    client = client_for(world.groupmate)
    for _ in range(2):
        client.post(_react_url(world, reply), {"kind": "useful", "on": "1"})
    assert Reaction.objects.filter(post=reply).count() == 1
    assert Thread.objects.get(pk=thread.pk).reaction_count == 1


def test_it_keeps_each_button_s_id_across_the_swap_so_focus_stays_on_it(
    world, client_for, thread, reply_to
):
    reply = reply_to(thread, author=world.groupmate)
    client = client_for(world.participant)
    page = client.get(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/").content.decode()
    page = page[page.index(f'<div id="reactions-{reply.pk}"') :]
    swapped = client.post(
        _react_url(world, reply), {"kind": "useful", "on": "1"}, headers=HTMX
    ).content.decode()
    for kind in ("like", "learned", "useful"):
        assert f'id="reaction-{reply.pk}-{kind}"' in _button(page, kind)
        assert f'id="reaction-{reply.pk}-{kind}"' in _button(swapped, kind)
