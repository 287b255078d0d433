"""Cancelling an upcoming prompt: never released, even if the dispatcher already claimed it."""

from datetime import timedelta

from discussions.models import Prompt, Thread
from notifications import scheduling
from notifications.models import Notification
from notifications.scheduling import DueStatus
from notifications.tasks import run_due_batch
from socialtraining import clock


def release(prompt) -> int:
    """Release the prompt now if it is due, as the dispatcher and a worker would."""
    return scheduling.run_now("prompt_release", [prompt.pk])


def _url(prompt):
    return f"/cohorts/{prompt.cohort_id}/prompts/{prompt.pk}/cancel/"


def test_it_cancels_and_the_dispatcher_never_releases_it(
    world, client_for, prompt, django_capture_on_commit_callbacks
):
    response = client_for(world.instructor).post(_url(prompt))
    assert response.status_code == 302
    Prompt.objects.filter(pk=prompt.pk).update(due_at=clock.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert scheduling.dispatch_kind(scheduling.due_kind("prompt_release")) == 0
    prompt.refresh_from_db()
    assert prompt.status == DueStatus.CANCELLED
    assert not Thread.objects.exists() and not Notification.objects.exists()


def test_it_cancels_a_claimed_prompt_whose_task_then_does_nothing(world, client_for, prompt):
    Prompt.objects.filter(pk=prompt.pk).update(due_at=clock.now() - timedelta(minutes=1))
    # The dispatcher claimed it; its task has not run yet.
    assert scheduling.claim_due_rows(scheduling.due_kind("prompt_release")) == [prompt.pk]
    client_for(world.instructor).post(_url(prompt))
    assert run_due_batch("prompt_release", [prompt.pk]) == 0
    prompt.refresh_from_db()
    assert prompt.status == DueStatus.CANCELLED
    assert not Thread.objects.exists()


def test_it_answers_htmx_with_the_row_marked_cancelled(world, client_for, prompt):
    response = client_for(world.instructor).post(_url(prompt), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<tr id="prompt-{prompt.pk}">')
    assert "Cancelled" in body and "Publish now" not in body


def test_it_refuses_to_cancel_a_released_prompt(world, client_for, prompt):
    Prompt.objects.filter(pk=prompt.pk).update(due_at=clock.now() - timedelta(minutes=1))
    release(prompt)
    response = client_for(world.instructor).post(_url(prompt))
    assert response.status_code == 400
    assert "This prompt has been released" in response.content.decode()
    prompt.refresh_from_db()
    assert prompt.status == DueStatus.DONE
