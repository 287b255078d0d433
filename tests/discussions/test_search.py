"""Searching a cohort's discussions: only what the searcher may see, linked to where it sits."""

import pytest

from discussions.models import Post, Thread
from discussions.thread_page import REPLIES_PER_PAGE
from socialtraining import clock

HTMX = {"HX-Request": "true"}


def _search(world, client, q, **params):
    return client.get(f"/cohorts/{world.cohort.pk}/discussions/search/", {"q": q, **params})


def test_it_shows_a_clear_empty_state(world, client_for, thread):
    response = _search(world, client_for(world.participant), "   ")
    body = response.content.decode()
    assert response.status_code == 200
    results = body[body.index('<section id="results"') :]
    assert "Type a word or a phrase to search" in results and "results for" not in results


def test_it_finds_replies_and_opening_posts_and_links_to_them(
    world, client_for, start_thread, reply_to
):
    thread = start_thread(title="Feedback sandwiches", body="Do they work?")
    reply = reply_to(thread, body="Radical candour beats sandwiches")
    reply_to(thread, body="Unrelated")
    body = _search(world, client_for(world.participant), "sandwiches").content.decode()
    assert "2 results for “sandwiches”" in body
    thread_url = f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/"
    assert f'href="{thread_url}?page=1#post-{reply.pk}"' in body
    opening = Post.objects.get(thread=thread, is_opening=True)
    assert f'href="{thread_url}#post-{opening.pk}"' in body


def test_it_links_to_the_page_a_late_reply_and_its_comments_are_on(
    world, client_for, thread, reply_to
):
    now = clock.now()
    Post.objects.bulk_create(
        Post(thread=thread, author=world.instructor, kind="reply", body="filler", created_at=now)
        for _ in range(REPLIES_PER_PAGE)
    )
    late = reply_to(thread, body="needle reply")
    comment = reply_to(thread, body="needle comment", parent=late)
    body = _search(world, client_for(world.participant), "needle").content.decode()
    assert f"?page=2#post-{late.pk}" in body and f"?page=2#post-{comment.pk}" in body


def test_it_keeps_study_groups_private(
    world, client_for, start_thread, reply_to, group_thread, other_group_thread
):
    reply_to(group_thread, body="blue secret", author=world.groupmate)
    reply_to(other_group_thread, body="green secret", author=world.other_group_participant)
    member = _search(world, client_for(world.participant), "secret").content.decode()
    assert "blue secret" in member and "green secret" not in member
    instructor = _search(world, client_for(world.instructor), "secret").content.decode()
    assert "blue secret" in instructor and "green secret" in instructor


def test_it_leaves_out_hidden_and_removed_posts_for_members(world, client_for, thread, reply_to):
    hidden = reply_to(thread, body="hidden words", author=world.groupmate)
    removed = reply_to(thread, body="removed words", author=world.groupmate)
    Post.objects.filter(pk=hidden.pk).update(hidden_at=clock.now())
    Post.objects.filter(pk=removed.pk).update(removed_at=clock.now())
    member = _search(world, client_for(world.participant), "words").content.decode()
    assert "hidden words" not in member and "removed words" not in member
    instructor = _search(world, client_for(world.instructor), "words").content.decode()
    assert "hidden words" in instructor and "removed words" not in instructor


def test_it_keeps_peers_replies_out_of_sight_until_you_post_first(
    world, client_for, thread, reply_to
):
    Thread.objects.filter(pk=thread.pk).update(post_first=True)
    reply_to(thread, body="peer answer", author=world.groupmate)
    client = client_for(world.participant)
    assert "peer answer" not in _search(world, client, "answer").content.decode()
    reply_to(thread, body="my answer", author=world.participant)
    assert "peer answer" in _search(world, client, "answer").content.decode()


def test_it_answers_htmx_with_the_results_only(world, client_for, thread):
    response = client_for(world.participant).get(
        f"/cohorts/{world.cohort.pk}/discussions/search/", {"q": "time"}, headers=HTMX
    )
    body = response.content.decode()
    assert "<html" not in body and body.lstrip().startswith('<section id="results"')


def test_it_refuses_an_overlong_query_and_keeps_it(world, client_for, thread):
    response = _search(world, client_for(world.participant), "q" * 201)
    assert response.status_code == 400
    assert "q" * 201 in response.content.decode()


def test_it_pages_results_in_constant_queries(
    world, client_for, thread, django_assert_max_num_queries
):
    client = client_for(world.participant)

    def add(n):
        Post.objects.bulk_create(
            Post(thread=thread, author=world.groupmate, kind="reply", body=f"lesson {i}")
            for i in range(n)
        )

    add(2)
    with django_assert_max_num_queries(8) as few:
        _search(world, client, "lesson")
    add(60)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = _search(world, client, "lesson").content.decode()
    assert "62 results" in body and "Page 1 of 4" in body


@pytest.mark.postgres
def test_it_ranks_full_text_matches_on_postgresql(world, client_for, start_thread, reply_to):
    titled = start_thread(title="Giving feedback remotely", body="Over video calls.")
    passing = reply_to(titled, body="I gave some feedback today.")
    reply_to(titled, body="Nothing about that here.")
    body = _search(world, client_for(world.participant), "feedback").content.decode()
    opening = Post.objects.get(thread=titled, is_opening=True)
    # Stemming finds "feedback" in both; the title weighs more than a passing mention.
    assert "2 results" in body
    assert body.index(f"#post-{opening.pk}") < body.index(f"#post-{passing.pk}")


@pytest.mark.postgres
def test_it_understands_web_search_syntax_on_postgresql(world, client_for, thread, reply_to):
    reply_to(thread, body="Listening to the team helps.")
    reply_to(thread, body="Listening to the manager helps.")
    body = _search(world, client_for(world.participant), '"listening to" -manager').content.decode()
    assert "1 result" in body and "the team" in body and "the manager" not in body
