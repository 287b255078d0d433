"""Editing the cohort's sessions moves pending prompts counted from them (cohorts.hooks)."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from discussions import prompts
from discussions.models import Prompt
from notifications.scheduling import DueStatus
from socialtraining import clock
from tests.cohort_edit import cohort_edit_post


@pytest.fixture
def before_first(world):
    return prompts.prompt_create(
        cohort=world.cohort,
        author=world.instructor,
        kind="question",
        title="Before",
        body="",
        anchor="before_first",
        offset_days=2,
        release_time=time(9, 0),
    )


def test_it_moves_a_prompt_when_the_first_session_moves(world, client_for, before_first):
    new_start = (clock.now() + timedelta(days=40)).replace(tzinfo=None, hour=10, minute=0)
    response = cohort_edit_post(client_for(world.manager), world, starts_local=new_start)
    assert response.status_code == 302
    before_first.refresh_from_db()
    expected_day = new_start.date() - timedelta(days=2)
    assert before_first.due_at == datetime.combine(expected_day, time(9), tzinfo=world.cohort.tz)


def test_it_keeps_the_local_hour_when_the_time_zone_changes(world, client_for):
    day = (clock.now() + timedelta(days=20)).date()
    at = prompts.prompt_create(
        cohort=world.cohort,
        author=world.instructor,
        kind="question",
        title="At",
        body="",
        anchor="at",
        at=datetime.combine(day, time(14, 0), tzinfo=world.cohort.tz),
    )
    start = timezone.localtime(world.cohort.sessions.get().starts_at, world.cohort.tz)
    response = cohort_edit_post(
        client_for(world.manager),
        world,
        # At 10:00: a session at the clock's own hour may fall in a night hour that a change of
        # summer time makes ambiguous in New York, which the form rightly refuses.
        starts_local=start.replace(tzinfo=None, hour=10, minute=0),
        time_zone="America/New_York",
    )
    assert response.status_code == 302
    at.refresh_from_db()
    # 14:00 on the cohort's clock stays 14:00 on its new clock, six hours later in UTC.
    assert at.due_at == datetime.combine(day, time(14, 0), tzinfo=ZoneInfo("America/New_York"))


def test_it_leaves_released_and_cancelled_prompts_alone(world, client_for, before_first):
    Prompt.objects.filter(pk=before_first.pk).update(status=DueStatus.CANCELLED)
    due_at = before_first.due_at
    new_start = (clock.now() + timedelta(days=40)).replace(tzinfo=None, hour=10, minute=0)
    cohort_edit_post(client_for(world.manager), world, starts_local=new_start)
    before_first.refresh_from_db()
    assert before_first.due_at == due_at
