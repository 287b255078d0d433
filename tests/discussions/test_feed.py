"""The space feed: threads paginated, sorted by activity or age, filtered to unanswered."""

from datetime import timedelta

from discussions.models import Post, PostKind, Reaction, ReadMarker, Thread
from socialtraining import clock


def _feed_url(world):
    return f"/cohorts/{world.cohort.pk}/discussions/"


def _threads(world, n, *, study_group=None):
    now = clock.now()
    return Thread.objects.bulk_create(
        Thread(
            cohort=world.cohort,
            study_group=study_group,
            author=world.participant,
            title=f"Thread {i:03}",
            created_at=now - timedelta(hours=i),
            last_activity_at=now - timedelta(hours=n - i),
        )
        for i in range(n)
    )


def test_it_lists_the_cohort_space_only(world, client_for, thread, group_thread):
    body = client_for(world.instructor).get(_feed_url(world)).content.decode()
    assert thread.title in body
    assert group_thread.title not in body


def test_it_sorts_by_latest_activity_or_newest(world, client_for):
    _threads(world, 3)
    client = client_for(world.participant)
    latest = client.get(_feed_url(world)).content.decode()
    assert latest.index("Thread 002") < latest.index("Thread 000")
    newest = client.get(_feed_url(world), {"sort": "newest"}).content.decode()
    assert newest.index("Thread 000") < newest.index("Thread 002")


def test_it_filters_unanswered_threads(world, client_for, start_thread, reply_to):
    reply_to(start_thread(title="Answered one"))
    start_thread(title="Lonely one")
    body = client_for(world.participant).get(_feed_url(world), {"filter": "unanswered"})
    assert "Lonely one" in body.content.decode()
    assert "Answered one" not in body.content.decode()


def test_it_pages_thirty_threads_at_a_time(world, client_for):
    _threads(world, 31)
    client = client_for(world.participant)
    first = client.get(_feed_url(world)).content.decode()
    assert "Page 1 of 2" in first and "Thread 000" not in first
    assert "Thread 000" in client.get(_feed_url(world), {"page": 2}).content.decode()


def test_it_serves_the_list_alone_to_htmx(world, client_for, thread):
    response = client_for(world.participant).get(_feed_url(world), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="thread-list"')
    assert thread.title in body and "<html" not in body


def test_it_costs_the_same_queries_for_one_or_sixty_threads(
    world, client_for, django_assert_max_num_queries
):
    client = client_for(world.participant)
    _threads(world, 1)
    with django_assert_max_num_queries(10) as one:
        client.get(_feed_url(world))
    _threads(world, 59)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(_feed_url(world))


def test_it_links_a_group_feed_back_to_the_cohort_space(world, client_for, group_thread):
    url = f"/cohorts/{world.cohort.pk}/groups/{world.group.pk}/discussions/"
    body = client_for(world.participant).get(url).content.decode()
    assert group_thread.title in body
    assert f'href="/cohorts/{world.cohort.pk}/discussions/"' in body


def test_it_marks_unopened_threads_new_and_counts_new_posts(
    world, client_for, thread, reply_to, start_thread
):
    start_thread(title="Never opened")
    client = client_for(world.participant)
    body = client.get(_feed_url(world)).content.decode()
    assert body.count('<mark class="unread">new</mark>') == 2

    client.get(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/")
    reply_to(thread, author=world.participant, body="My own reply is not news to me")
    body = client_for(world.participant).get(_feed_url(world)).content.decode()
    assert body.count('<mark class="unread">new</mark>') == 1
    assert "new</mark>" not in body[body.index(thread.title) : body.index("Never opened")]

    reply_to(thread, author=world.groupmate)
    reply_to(thread, author=world.instructor)
    body = client_for(world.participant).get(_feed_url(world)).content.decode()
    assert '<mark class="unread">2 new</mark>' in body


def test_it_sorts_by_most_reactions_with_pinned_first(world, client_for):
    quiet, popular, pinned = _threads(world, 3)
    Thread.objects.filter(pk=popular.pk).update(reaction_count=9)
    Thread.objects.filter(pk=pinned.pk).update(pinned=True)
    body = client_for(world.participant).get(_feed_url(world), {"sort": "reactions"})
    html = body.content.decode()
    assert html.index(pinned.title) < html.index(popular.title) < html.index(quiet.title)
    assert 'aria-current="true">Most reactions' in html
    assert "9 reactions" in html


def _busy_threads(world, n):
    """n threads, half of them read by the participant, each with a reply and reactions."""
    threads = _threads(world, n)
    posts = Post.objects.bulk_create(
        Post(thread=t, author=world.groupmate, kind=PostKind.REPLY, body="r") for t in threads
    )
    Reaction.objects.bulk_create(
        Reaction(post=p, user=u, kind="like")
        for p in posts
        for u in (world.participant, world.instructor)
    )
    ReadMarker.objects.bulk_create(
        ReadMarker(thread=t, user=world.participant, read_at=clock.now() - timedelta(days=1))
        for t in threads[::2]
    )


def test_it_costs_the_same_queries_for_a_feed_of_one_or_a_thousand_threads(
    world, client_for, django_assert_max_num_queries
):
    client = client_for(world.participant)
    _busy_threads(world, 1)
    with django_assert_max_num_queries(10) as small:
        client.get(_feed_url(world), {"sort": "reactions"})
    _busy_threads(world, 999)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(_feed_url(world), {"sort": "reactions"})
    assert "Page 1 of 34" in response.content.decode()
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(_feed_url(world), {"page": 20}, headers={"HX-Request": "true"})


def test_it_counts_replies_and_comments_as_the_thread_page_does(
    world, client_for, start_thread, reply_to
):
    thread = start_thread(title="Counted one")
    first = reply_to(thread)
    reply_to(thread, author=world.groupmate)
    reply_to(thread, author=world.groupmate, parent=first)
    client = client_for(world.participant)
    feed = client.get(_feed_url(world)).content.decode()
    summary = feed.split("Counted one")[1].split("</article>")[0]
    assert "· 2 replies · 1 comment" in " ".join(summary.split())
    page = client.get(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/").content.decode()
    assert '<h2 id="replies-heading">2 replies · 1 comment</h2>' in page
