"""Releasing a due prompt: one thread per space, each member told once, however often it runs."""

from datetime import timedelta

import pytest
from django.db import transaction

from discussions.models import Post, Prompt, Target, Thread
from notifications import scheduling
from notifications.models import Notification, OutboxMessage
from notifications.scheduling import DueStatus
from socialtraining import clock


def release(prompt) -> int:
    """Release the prompt now if it is due, as the dispatcher and a worker would."""
    return scheduling.run_now("prompt_release", [prompt.pk])


@pytest.fixture
def make_prompt(world):
    def make(**kwargs):
        return Prompt.objects.create(
            cohort=world.cohort,
            author=world.instructor,
            kind="question",
            title="What feedback did you give this week?",
            body="One example, please.",
            due_at=clock.now() - timedelta(minutes=1),
            **kwargs,
        )

    return make


def test_it_releases_a_prompt_into_the_cohort_space_once(world, make_prompt):
    prompt = make_prompt()
    assert release(prompt) == 1
    assert release(prompt) == 0
    thread = Thread.objects.get(prompt=prompt)
    assert thread.study_group is None and thread.author == world.instructor
    assert Post.objects.get(thread=thread).body == "One example, please."
    notified = Notification.objects.filter(key=f"prompt:{prompt.pk}:{thread.pk}")
    assert sorted(n.user.email for n in notified) == sorted(
        u.email for u in (world.participant, world.groupmate, world.other_group_participant)
    )
    prompt.refresh_from_db()
    assert prompt.status == DueStatus.DONE


def test_it_makes_one_thread_per_study_group_and_tells_each_group(world, make_prompt):
    prompt = make_prompt(target=Target.GROUPS)
    release(prompt)
    threads = {t.study_group: t for t in Thread.objects.filter(prompt=prompt)}
    assert set(threads) == {world.group, world.other_group}
    blue = Notification.objects.filter(key=f"prompt:{prompt.pk}:{threads[world.group].pk}")
    assert {n.user for n in blue} == {world.participant, world.groupmate}


def test_it_tells_nobody_twice_when_the_work_runs_again(world, make_prompt):
    from discussions.prompts import prompt_release

    prompt = make_prompt(target=Target.GROUPS)
    prompt_release(prompt)
    prompt_release(prompt)
    assert Thread.objects.filter(prompt=prompt).count() == 2
    assert Notification.objects.filter(user=world.participant).count() == 1
    # One email each for the three participants, none for the instructor who wrote it.
    assert OutboxMessage.objects.count() == 3


def test_it_waits_for_a_prompt_not_yet_due(world, make_prompt):
    prompt = make_prompt()
    Prompt.objects.filter(pk=prompt.pk).update(due_at=clock.now() + timedelta(days=1))
    assert scheduling.dispatch_kind(scheduling.due_kind("prompt_release")) == 0
    assert release(prompt) == 0
    assert not Thread.objects.exists()


def test_it_is_released_by_the_dispatcher(world, make_prompt, django_capture_on_commit_callbacks):
    prompt = make_prompt()
    with django_capture_on_commit_callbacks(execute=True):
        assert scheduling.dispatch_kind(scheduling.due_kind("prompt_release")) == 1
    assert Thread.objects.filter(prompt=prompt).exists()


def test_it_tells_people_in_chunks_and_the_rest_after_a_run_that_died(
    world, make_prompt, monkeypatch, travel
):
    from discussions import prompts
    from notifications import services

    prompt = make_prompt()
    monkeypatch.setattr(prompts, "RELEASE_CHUNK", 2)
    real_notify_many = services.notify_many
    told_per_call = []

    def dies_on_the_second_chunk(notices):
        if len(told_per_call) == 1:
            raise ConnectionError("worker lost its database")
        told_per_call.append(len(notices))
        return real_notify_many(notices)

    monkeypatch.setattr(prompts, "notify_many", dies_on_the_second_chunk)
    assert release(prompt) == 0
    # The first chunk was told and stays told; the row waits for its retry.
    assert told_per_call == [2]
    assert Notification.objects.count() == 2
    prompt.refresh_from_db()
    assert prompt.status == DueStatus.PENDING and "lost its database" in prompt.last_error

    monkeypatch.setattr(prompts, "notify_many", real_notify_many)
    travel.by(timedelta(hours=2))
    assert release(prompt) == 1
    thread = Thread.objects.get(prompt=prompt)
    told = Notification.objects.filter(key=f"prompt:{prompt.pk}:{thread.pk}")
    assert sorted(n.user.email for n in told) == sorted(
        u.email for u in (world.participant, world.groupmate, world.other_group_participant)
    )
    assert OutboxMessage.objects.count() == 3


def _taken(prompt) -> str:
    """Claim and take the prompt as a worker's run would; that run's token."""
    kind = scheduling.due_kind("prompt_release")
    with transaction.atomic():
        assert scheduling.claim_due_rows(kind) == [prompt.pk]
    token, taken = scheduling.take_rows(kind, [prompt.pk])
    assert taken == [prompt.pk]
    return token


def test_it_releases_nothing_when_cancelled_after_its_run_took_it(world, make_prompt):
    from discussions.prompts import prompt_cancel

    prompt = make_prompt()
    token = _taken(prompt)
    prompt_cancel(prompt=prompt)

    kind = scheduling.due_kind("prompt_release")
    assert kind.work(Prompt.objects.filter(pk=prompt.pk), token) == 0
    assert not Thread.objects.exists() and not Notification.objects.exists()
    prompt.refresh_from_db()
    assert prompt.status == DueStatus.CANCELLED


def test_it_refuses_to_cancel_a_prompt_whose_release_has_begun(world, make_prompt):
    from discussions.prompts import PromptError, _thread_open, prompt_cancel

    prompt = make_prompt()
    token = _taken(prompt)
    # The run has opened the thread (and committed it) and is telling people.
    assert _thread_open(prompt, None, token=token) is not None
    with pytest.raises(PromptError, match="being released"):
        prompt_cancel(prompt=prompt)
    prompt.refresh_from_db()
    assert prompt.status == DueStatus.CLAIMED
