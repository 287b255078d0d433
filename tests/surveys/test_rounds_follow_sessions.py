"""Editing the cohort's sessions moves its unopened anchored survey rounds (cohorts.hooks)."""

from datetime import datetime, time, timedelta

from cohorts.timeline import Anchor
from socialtraining import clock
from surveys import rounds
from surveys.models import RoundEvent, RoundStep
from tests.cohort_edit import cohort_edit_post


def test_it_moves_an_unopened_round_when_the_workshop_moves(world, client_for, knowledge_survey):
    round_ = rounds.round_schedule(
        survey=knowledge_survey,
        plan=rounds.RoundPlan(
            label="+30 days", anchor=Anchor.AFTER_LAST, offset_days=30, release_time=time(9, 0)
        ),
    )
    new_start = (clock.now() + timedelta(days=40)).replace(tzinfo=None, hour=10, minute=0)

    response = cohort_edit_post(client_for(world.manager), world, starts_local=new_start)

    assert response.status_code == 302
    round_.refresh_from_db()
    expected = datetime.combine(new_start.date() + timedelta(days=30), time(9), world.cohort.tz)
    assert round_.opens_at == expected
    opening = RoundEvent.objects.get(round=round_, step=RoundStep.OPEN)
    assert opening.due_at == expected


def test_it_leaves_a_round_at_a_fixed_moment_where_it_is(world, client_for, knowledge_survey):
    fixed = clock.now() + timedelta(days=5)
    round_ = rounds.round_schedule(
        survey=knowledge_survey,
        plan=rounds.RoundPlan(label="Pulse", anchor=Anchor.AT, opens_at=fixed),
    )
    new_start = (clock.now() + timedelta(days=40)).replace(tzinfo=None, hour=10, minute=0)

    cohort_edit_post(client_for(world.manager), world, starts_local=new_start)

    round_.refresh_from_db()
    assert round_.opens_at == fixed
