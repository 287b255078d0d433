"""Editing the cohort's sessions moves its unopened anchored survey rounds (cohorts.hooks)."""

from datetime import datetime, time, timedelta

from cohorts.timeline import Anchor
from socialtraining import clock
from surveys import rounds
from surveys.models import RoundEvent, RoundStep


def _save_sessions(client, world, *, starts_local: datetime):
    session = world.cohort.sessions.get()
    return client.post(
        f"/cohorts/{world.cohort.pk}/edit/",
        {
            "name": world.cohort.name,
            "description": "",
            "time_zone": world.cohort.time_zone,
            "instructors": [world.instructor.pk],
            "sessions-TOTAL_FORMS": "1",
            "sessions-INITIAL_FORMS": "1",
            "sessions-MIN_NUM_FORMS": "0",
            "sessions-MAX_NUM_FORMS": "1000",
            "sessions-0-id": str(session.pk),
            "sessions-0-starts_at": f"{starts_local:%Y-%m-%dT%H:%M}",
            "sessions-0-ends_at": f"{starts_local + timedelta(hours=3):%Y-%m-%dT%H:%M}",
        },
    )


def test_it_moves_an_unopened_round_when_the_workshop_moves(world, client_for, knowledge_survey):
    round_ = rounds.round_schedule(
        survey=knowledge_survey,
        label="+30 days",
        anchor=Anchor.AFTER_LAST,
        offset_days=30,
        release_time=time(9, 0),
    )
    new_start = (clock.now() + timedelta(days=40)).replace(tzinfo=None, hour=10, minute=0)

    response = _save_sessions(client_for(world.manager), world, starts_local=new_start)

    assert response.status_code == 302
    round_.refresh_from_db()
    expected = datetime.combine(new_start.date() + timedelta(days=30), time(9), world.cohort.tz)
    assert round_.opens_at == expected
    opening = RoundEvent.objects.get(round=round_, step=RoundStep.OPEN)
    assert opening.due_at == expected


def test_it_leaves_a_round_at_a_fixed_moment_where_it_is(world, client_for, knowledge_survey):
    fixed = clock.now() + timedelta(days=5)
    round_ = rounds.round_schedule(
        survey=knowledge_survey, label="Pulse", anchor=Anchor.AT, opens_at=fixed
    )
    new_start = (clock.now() + timedelta(days=40)).replace(tzinfo=None, hour=10, minute=0)

    _save_sessions(client_for(world.manager), world, starts_local=new_start)

    round_.refresh_from_db()
    assert round_.opens_at == fixed
