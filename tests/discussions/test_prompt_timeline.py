"""The cohort's prompt timeline: every prompt in time order, with its local time and status."""

from datetime import datetime, timedelta

import pytest

from discussions.models import Prompt, Target, Thread
from notifications.scheduling import DueStatus
from socialtraining import clock


def _url(world):
    return f"/cohorts/{world.cohort.pk}/prompts/"


def _prompt(world, title, due_at, **kwargs):
    return Prompt.objects.create(
        cohort=world.cohort, author=world.instructor, title=title, due_at=due_at, **kwargs
    )


def test_it_lists_prompts_in_time_order_with_local_times(world, client_for):
    paris = world.cohort.tz
    _prompt(world, "Second", datetime(2027, 7, 2, 9, 0, tzinfo=paris))
    _prompt(world, "First", datetime(2027, 1, 15, 18, 30, tzinfo=paris), kind="article")
    _prompt(world, "Gone", datetime(2027, 8, 1, 9, 0, tzinfo=paris), status=DueStatus.CANCELLED)
    body = client_for(world.instructor).get(_url(world)).content.decode()
    assert body.index("First") < body.index("Second") < body.index("Gone")
    # Winter and summer time in Paris, each shown on the local clock.
    assert "Fri 15 Jan 2027, 18:30" in body and "Fri 2 Jul 2027, 09:00" in body
    assert "Article" in body and "Cancelled" in body


def test_it_links_a_released_prompt_to_each_group_thread(world, client_for):
    prompt = _prompt(
        world,
        "Released",
        clock.now() - timedelta(days=1),
        status=DueStatus.DONE,
        target=Target.GROUPS,
    )
    blue = Thread.objects.create(
        cohort=world.cohort, study_group=world.group, prompt=prompt, title="Released"
    )
    body = client_for(world.manager).get(_url(world)).content.decode()
    assert f'href="/cohorts/{world.cohort.pk}/threads/{blue.pk}/">Blue</a>' in body
    assert "Publish now" not in body


def test_it_offers_edit_publish_and_cancel_for_upcoming_prompts(world, client_for):
    prompt = _prompt(world, "Upcoming", clock.now() + timedelta(days=3))
    body = client_for(world.instructor).get(_url(world)).content.decode()
    assert f'href="/cohorts/{world.cohort.pk}/prompts/{prompt.pk}/edit/"' in body
    assert f'action="/cohorts/{world.cohort.pk}/prompts/{prompt.pk}/publish/"' in body
    assert f'action="/cohorts/{world.cohort.pk}/prompts/{prompt.pk}/cancel/"' in body


@pytest.mark.parametrize("count", [3, 40])
def test_it_costs_the_same_queries_whatever_the_number_of_prompts(
    world, client_for, django_assert_max_num_queries, count
):
    for n in range(count):
        prompt = _prompt(
            world,
            f"Prompt {n}",
            clock.now() - timedelta(days=1),
            status=DueStatus.DONE,
            target=Target.GROUPS,
        )
        for group in (world.group, world.other_group):
            Thread.objects.create(
                cohort=world.cohort, study_group=group, prompt=prompt, title=prompt.title
            )
    client = client_for(world.instructor)
    with django_assert_max_num_queries(10):
        response = client.get(_url(world))
    assert response.content.decode().count('<tr id="prompt-') == count


def test_it_is_linked_from_the_cohort_page_and_the_feed_for_instructors_only(world, client_for):
    link = f'href="/cohorts/{world.cohort.pk}/prompts/"'
    instructor = client_for(world.instructor)
    assert link in instructor.get(f"/cohorts/{world.cohort.pk}/").content.decode()
    assert link in instructor.get(f"/cohorts/{world.cohort.pk}/discussions/").content.decode()
    participant = client_for(world.participant)
    assert link not in participant.get(f"/cohorts/{world.cohort.pk}/").content.decode()
    assert link not in participant.get(f"/cohorts/{world.cohort.pk}/discussions/").content.decode()
