"""A scheduled prompt is released by the minute dispatcher, once, however often it runs."""

from datetime import time, timedelta

from django.core import mail

from discussions import prompts
from discussions.models import Prompt, Thread
from notifications import scheduling
from notifications.models import Notification
from notifications.scheduling import DueStatus
from notifications.tasks import run_due_batch
from socialtraining import clock


def _scheduled(world, **kwargs):
    prompt = prompts.prompt_create(
        cohort=world.cohort,
        author=world.instructor,
        kind="question",
        title="What makes feedback land?",
        body="",
        anchor="before_first",
        offset_days=2,
        release_time=time(9, 0),
        **kwargs,
    )
    return prompt


def _dispatch(capture, now):
    with capture(execute=True), clock.travel_to(now):
        return scheduling.dispatch_kind(scheduling.due_kind("prompt_release"))


def test_it_is_not_released_before_it_is_due(world, django_capture_on_commit_callbacks):
    prompt = _scheduled(world)
    assert _dispatch(django_capture_on_commit_callbacks, clock.now()) == 0
    assert not Thread.objects.filter(prompt=prompt).exists()


def test_it_tells_each_member_once_when_the_dispatcher_runs_twice(
    world, django_capture_on_commit_callbacks
):
    prompt = _scheduled(world, target="groups")
    Prompt.objects.filter(pk=prompt.pk).update(due_at=clock.now() - timedelta(seconds=1))
    assert _dispatch(django_capture_on_commit_callbacks, clock.now()) == 1
    # A second sweep, and one after the lease would have expired: nothing is claimed again.
    later = clock.now() + timedelta(hours=1)
    assert _dispatch(django_capture_on_commit_callbacks, clock.now()) == 0
    assert _dispatch(django_capture_on_commit_callbacks, later) == 0
    prompt.refresh_from_db()
    assert prompt.status == DueStatus.DONE
    assert Thread.objects.filter(prompt=prompt).count() == 2
    for person in (world.participant, world.groupmate, world.other_group_participant):
        assert Notification.objects.filter(user=person).count() == 1
        assert [m.to for m in mail.outbox].count([person.email]) == 1
    assert not Notification.objects.filter(user=world.instructor).exists()


def test_it_releases_a_claimed_row_once_when_its_task_is_delivered_twice(world):
    prompt = _scheduled(world)
    Prompt.objects.filter(pk=prompt.pk).update(due_at=clock.now() - timedelta(seconds=1))
    scheduling.claim_due_rows(scheduling.due_kind("prompt_release"))
    assert run_due_batch("prompt_release", [prompt.pk]) == 1
    assert run_due_batch("prompt_release", [prompt.pk]) == 0
    assert Notification.objects.filter(user=world.participant).count() == 1
