"""The space feed: threads paginated, sorted by activity or age, filtered to unanswered."""

from datetime import timedelta

from django.utils import timezone

from discussions.models import Thread


def _feed_url(world):
    return f"/cohorts/{world.cohort.pk}/discussions/"


def _threads(world, n, *, study_group=None):
    now = timezone.now()
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
