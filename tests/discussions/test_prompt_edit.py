"""Editing an upcoming prompt: content and schedule; a released one is refused."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from discussions import prompts
from discussions.models import Prompt, Thread
from notifications import scheduling
from notifications.scheduling import DueStatus
from socialtraining import clock


def release(prompt) -> int:
    """Release the prompt now if it is due, as the dispatcher and a worker would."""
    return scheduling.run_now("prompt_release", [prompt.pk])


def _url(prompt):
    return f"/cohorts/{prompt.cohort_id}/prompts/{prompt.pk}/edit/"


def _data(**overrides):
    data = {
        "kind": "question",
        "title": "What makes feedback stick?",
        "body": "",
        "target": "cohort",
        "anchor": "before_first",
        "offset_days": "1",
        "release_time": "18:15",
    }
    return {**data, **overrides}


def _session_day(world):
    return timezone.localtime(world.cohort.sessions.get().starts_at, world.cohort.tz).date()


def test_it_shows_the_prompt_in_the_form(world, client_for, prompt):
    body = client_for(world.instructor).get(_url(prompt)).content.decode()
    assert 'value="What makes feedback land?"' in body
    assert 'value="2"' in body and 'value="09:00"' in body


def test_it_reschedules_and_recomputes_the_due_time(world, client_for, prompt):
    response = client_for(world.instructor).post(_url(prompt), _data())
    assert response.status_code == 302
    prompt.refresh_from_db()
    day = _session_day(world) - timedelta(days=1)
    assert prompt.due_at == datetime.combine(day, time(18, 15), tzinfo=world.cohort.tz)
    assert prompt.title == "What makes feedback stick?" and prompt.offset_days == 1


def test_it_moves_a_prompt_to_a_fixed_local_time(world, client_for, prompt):
    day = (clock.now() + timedelta(days=20)).date()
    client_for(world.manager).post(_url(prompt), _data(anchor="at", at=f"{day:%Y-%m-%dT%H:%M}"))
    prompt.refresh_from_db()
    assert prompt.anchor == "at"
    assert prompt.due_at == datetime.combine(day, time(0, 0), tzinfo=world.cohort.tz)


def test_it_refuses_a_past_time_and_keeps_the_edit(world, client_for, prompt):
    response = client_for(world.instructor).post(_url(prompt), _data(offset_days="60"))
    body = response.content.decode()
    assert response.status_code == 400
    assert "which has already passed" in body and 'value="What makes feedback stick?"' in body
    prompt.refresh_from_db()
    assert prompt.offset_days == 2


def test_it_refuses_to_change_a_released_prompt(world, client_for, prompt):
    Prompt.objects.filter(pk=prompt.pk).update(due_at=clock.now() - timedelta(minutes=1))
    prompts.prompt_publish_now(prompt=prompt)
    # The release task runs after commit; here it runs the same service by hand.

    release(prompt)
    client = client_for(world.instructor)
    page = client.get(_url(prompt)).content.decode()
    assert "This prompt has been released: it is a thread now" in page
    assert '<form method="post" action="/cohorts/' not in page.split("</header>")[1]
    response = client.post(_url(prompt), _data())
    assert response.status_code == 400
    assert "its schedule and content can no longer change here" in response.content.decode()
    prompt.refresh_from_db()
    assert prompt.status == DueStatus.DONE and prompt.title == "What makes feedback land?"
    assert Thread.objects.get(prompt=prompt).title == "What makes feedback land?"


def test_it_refuses_to_edit_a_cancelled_prompt(world, client_for, prompt):
    prompts.prompt_cancel(prompt=prompt)
    response = client_for(world.instructor).post(_url(prompt), _data())
    assert response.status_code == 400
    assert "This prompt was cancelled" in response.content.decode()
