"""Publishing an upcoming prompt now: released at once, through the dispatcher's own task."""

from datetime import time

import pytest

from cohorts.timeline import Anchor
from discussions import prompts
from discussions.models import Thread
from notifications.models import Notification
from notifications.scheduling import DueStatus


@pytest.fixture
def prompt(world):
    return prompts.prompt_create(
        cohort=world.cohort,
        author=world.instructor,
        kind="article",
        title="Radical candor",
        url="https://example.com/candor",
        body="Why it matters: it names the two axes.",
        anchor="after_last",
        offset_days=3,
        release_time=time(9, 0),
    )


def _url(prompt):
    return f"/cohorts/{prompt.cohort_id}/prompts/{prompt.pk}/publish/"


def test_it_releases_the_prompt_now(world, client_for, prompt, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.instructor).post(_url(prompt))
    assert response.status_code == 302
    prompt.refresh_from_db()
    assert prompt.status == DueStatus.DONE and prompt.anchor == Anchor.NOW
    thread = Thread.objects.get(prompt=prompt)
    assert thread.url == "https://example.com/candor" and thread.kind == "article"
    assert Notification.objects.filter(user=world.groupmate).count() == 1


def test_it_shows_the_released_row_with_its_thread_link_to_htmx(
    world, client_for, prompt, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(world.instructor).post(_url(prompt), headers={"HX-Request": "true"})
    timeline = client_for(world.instructor).get(f"/cohorts/{world.cohort.pk}/prompts/")
    thread = Thread.objects.get(prompt=prompt)
    assert f'href="/cohorts/{world.cohort.pk}/threads/{thread.pk}/"' in timeline.content.decode()


def test_it_refuses_to_publish_a_cancelled_prompt(world, client_for, prompt):
    prompts.prompt_cancel(prompt=prompt)
    response = client_for(world.instructor).post(_url(prompt), headers={"HX-Request": "true"})
    assert "This prompt was cancelled" in response.content.decode()
    assert not Thread.objects.exists()
