"""A cohort's new time zone keeps every scheduled moment's wall-clock time (cohorts.timeline):
prompts and rounds at a local date and time, and sparks in the send window, alike."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from cohorts.timeline import Anchor
from discussions import prompts
from socialtraining import clock
from sparks import planning
from sparks.models import Delivery, Spark
from surveys import rounds
from surveys.models import RoundEvent, RoundStep, Survey
from tests.cohort_edit import cohort_edit_post

NEW_YORK = ZoneInfo("America/New_York")


def test_it_keeps_the_wall_clock_time_of_prompts_rounds_and_sparks(world, client_for):
    day = (clock.now() + timedelta(days=20)).date()
    paris_two_pm = datetime.combine(day, time(14, 0), tzinfo=world.cohort.tz)
    prompt = prompts.prompt_create(
        cohort=world.cohort,
        author=world.instructor,
        kind="question",
        title="At two",
        body="",
        anchor=Anchor.AT,
        at=paris_two_pm,
    )
    survey = Survey.objects.create(
        cohort=world.cohort, title="Pulse", purpose="reaction", created_by=world.instructor
    )
    round_ = rounds.round_schedule(
        survey=survey,
        plan=rounds.RoundPlan(label="Pulse", anchor=Anchor.AT, opens_at=paris_two_pm, open_days=7),
    )
    Spark.objects.create(
        cohort=world.cohort,
        question="What did you try?",
        offset_days=14,
        created_by=world.instructor,
    )
    planning.sparks_plan(cohort=world.cohort)
    asks = Delivery.objects.filter(spark__cohort=world.cohort)
    paris_asks = {d.pk: d.due_at.astimezone(world.cohort.tz).replace(tzinfo=None) for d in asks}
    assert paris_asks

    session = timezone.localtime(world.cohort.sessions.get().starts_at, world.cohort.tz)
    response = cohort_edit_post(
        client_for(world.manager),
        world,
        # At 10:00: a session at the clock's own hour may fall in a night hour that a change of
        # summer time makes ambiguous in New York, which the form rightly refuses.
        starts_local=session.replace(tzinfo=None, hour=10, minute=0),
        time_zone="America/New_York",
    )

    assert response.status_code == 302
    new_two_pm = datetime.combine(day, time(14, 0), tzinfo=NEW_YORK)
    prompt.refresh_from_db()
    round_.refresh_from_db()
    assert prompt.due_at == new_two_pm
    assert round_.opens_at == new_two_pm
    assert round_.closes_at == datetime.combine(day + timedelta(days=7), time(14, 0), NEW_YORK)
    assert RoundEvent.objects.get(round=round_, step=RoundStep.OPEN).due_at == new_two_pm
    # Sparks are planned again into the send window on the new clock: the same local moments.
    new_york_asks = {d.pk: d.due_at.astimezone(NEW_YORK).replace(tzinfo=None) for d in asks.all()}
    assert new_york_asks == paris_asks
