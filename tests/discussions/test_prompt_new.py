"""Scheduling a prompt: now, at a local date and time, or counted from the workshop sessions."""

import re
import uuid
from datetime import datetime, time, timedelta

from django.core import mail
from django.utils import timezone

from discussions.models import Prompt, Thread
from notifications.models import Notification
from notifications.scheduling import DueStatus
from socialtraining import clock


def _url(world):
    return f"/cohorts/{world.cohort.pk}/prompts/new/"


def _data(**overrides):
    data = {
        "kind": "question",
        "title": "What makes feedback land?",
        "body": "Think of the last time feedback changed what you did.",
        "target": "cohort",
        "anchor": "before_first",
        "offset_days": "2",
        "release_time": "09:00",
        "idempotency_key": uuid.uuid4().hex,
    }
    return {**data, **overrides}


def test_it_schedules_a_question_two_days_before_the_first_session(world, client_for):
    response = client_for(world.instructor).post(_url(world), _data())
    assert response.status_code == 302
    assert response["Location"] == f"/cohorts/{world.cohort.pk}/prompts/"
    prompt = Prompt.objects.get()
    session = world.cohort.sessions.get()
    day = timezone.localtime(session.starts_at, world.cohort.tz).date() - timedelta(days=2)
    assert prompt.due_at == datetime.combine(day, time(9, 0), tzinfo=world.cohort.tz)
    assert prompt.status == DueStatus.PENDING and prompt.author == world.instructor
    assert not Thread.objects.exists()
    timeline = client_for(world.instructor).get(response["Location"]).content.decode()
    assert f"{day:%a} {day.day} {day:%b %Y}, 09:00" in timeline
    assert "2 days before the first session, at 09:00" in timeline


def test_it_publishes_a_prompt_for_now_at_once_and_tells_each_member(
    world, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(world.manager).post(
            _url(world), _data(anchor="now", kind="discussion", target="groups", post_first="on")
        )
    prompt = Prompt.objects.get()
    assert prompt.status == DueStatus.DONE
    threads = Thread.objects.filter(prompt=prompt)
    assert {t.study_group for t in threads} == {world.group, world.other_group}
    assert all(t.post_first for t in threads)
    assert Notification.objects.filter(user=world.participant).count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        u.email for u in (world.participant, world.groupmate, world.other_group_participant)
    )


def test_it_schedules_an_article_at_a_local_date_and_time(world, client_for):
    day = (clock.now() + timedelta(days=30)).date()
    client_for(world.instructor).post(
        _url(world),
        _data(
            kind="article",
            url="https://example.com/candor",
            quote="Care personally, challenge directly.",
            anchor="at",
            at=f"{day:%Y-%m-%d}T14:30",
        ),
    )
    prompt = Prompt.objects.get()
    # Typed in the cohort's zone (Europe/Paris), not the server's or the browser's.
    assert prompt.due_at == datetime.combine(day, time(14, 30), tzinfo=world.cohort.tz)
    assert prompt.url == "https://example.com/candor" and prompt.kind == "article"


def test_it_refuses_an_offset_on_a_cohort_without_sessions_and_keeps_the_text(world, client_for):
    world.cohort.sessions.all().delete()
    response = client_for(world.instructor).post(_url(world), _data())
    body = response.content.decode()
    assert response.status_code == 400
    assert "This cohort has no workshop sessions yet" in body
    assert 'value="What makes feedback land?"' in body
    assert "Think of the last time feedback changed what you did." in body
    assert not Prompt.objects.exists()


def test_it_refuses_a_date_in_the_past(world, client_for):
    yesterday = timezone.localtime(clock.now(), world.cohort.tz) - timedelta(days=1)
    response = client_for(world.instructor).post(
        _url(world), _data(anchor="at", at=f"{yesterday:%Y-%m-%dT%H:%M}")
    )
    assert response.status_code == 400
    assert "which has already passed" in response.content.decode()
    assert not Prompt.objects.exists()


def test_it_refuses_an_offset_that_has_already_passed(world, client_for):
    # The only session is a week away: 30 days before it is in the past.
    response = client_for(world.instructor).post(_url(world), _data(offset_days="30"))
    assert response.status_code == 400
    assert "which has already passed" in response.content.decode()


def test_it_refuses_an_article_without_its_link(world, client_for):
    response = client_for(world.instructor).post(_url(world), _data(kind="article"))
    assert response.status_code == 400
    assert "An article needs its link." in response.content.decode()
    assert not Prompt.objects.exists()


def test_it_asks_for_the_moment_of_an_at_prompt_and_the_days_of_an_offset(world, client_for):
    client = client_for(world.instructor)
    no_date = client.post(_url(world), _data(anchor="at")).content.decode()
    no_days = client.post(_url(world), _data(offset_days="")).content.decode()
    assert "Choose the date and time to publish it." in no_date
    assert "How many days from the session?" in no_days


def test_it_shows_the_form_to_an_instructor(world, client_for):
    response = client_for(world.instructor).get(_url(world))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Provocative question" in body and "Post before you see replies" in body
    assert "Days before the first session" in body and "Europe/Paris" in body


def test_it_schedules_one_prompt_when_the_same_form_is_sent_twice(world, client_for):
    client = client_for(world.instructor)
    data = _data()
    first = client.post(_url(world), data)
    second = client.post(_url(world), data)
    assert first.status_code == second.status_code == 302
    assert Prompt.objects.count() == 1
    client.post(_url(world), _data())
    assert Prompt.objects.count() == 2


def test_it_renders_a_fresh_key_with_each_new_form(world, client_for):
    client = client_for(world.instructor)
    pages = [client.get(_url(world)).content.decode() for _ in range(2)]
    keys = {re.search(r'name="idempotency_key" value="(\w+)"', page)[1] for page in pages}
    assert len(keys) == 2


def test_it_refuses_a_date_outside_the_calendar_and_keeps_the_text(world, client_for):
    response = client_for(world.instructor).post(
        _url(world), _data(anchor="at", at="9999-12-31T23:00", offset_days="")
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "Choose a date between 2000 and 2099." in body
    assert "Think of the last time feedback changed what you did." in body
    assert not Prompt.objects.exists()
