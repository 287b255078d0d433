"""Rounds on the cohort's timeline: opened, reminded and closed by the due-row dispatcher, once."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import transaction

from cohorts.timeline import Anchor
from notifications import scheduling
from notifications.models import Notification, OutboxMessage
from notifications.scheduling import DueStatus
from notifications.tasks import run_due_batch
from socialtraining import clock
from surveys import rounds
from surveys.models import Response, ResponseStatus, RoundEvent, RoundStatus, RoundStep

PARTICIPANTS = ("participant@example.test", "groupmate@example.test", "green@example.test")


@pytest.fixture
def round_now(knowledge_survey):
    return rounds.round_schedule(
        survey=knowledge_survey,
        plan=rounds.RoundPlan(
            label="Right after",
            anchor=Anchor.AT,
            opens_at=clock.now() - timedelta(minutes=1),
            open_days=7,
            remind_after_days=3,
        ),
    )


@pytest.fixture
def run_due(django_capture_on_commit_callbacks, travel):
    """What the beat does each minute, with the tasks it enqueues run in this process."""

    def run(now=None):
        if now is not None:
            travel.to(now)
        with django_capture_on_commit_callbacks(execute=True):
            return scheduling.dispatch_all()

    return run


def test_it_places_a_round_after_the_last_session_in_the_cohort_time_zone(world, knowledge_survey):
    world.cohort.time_zone = "America/New_York"
    world.cohort.save(update_fields=["time_zone"])
    session = world.cohort.sessions.get()
    round_ = rounds.round_schedule(
        survey=knowledge_survey,
        plan=rounds.RoundPlan(
            label="+30 days", anchor=Anchor.AFTER_LAST, offset_days=30, release_time=time(9, 0)
        ),
    )
    local = round_.opens_at.astimezone(world.cohort.tz)
    assert local.date() == session.ends_at.astimezone(world.cohort.tz).date() + timedelta(30)
    assert (local.hour, local.minute) == (9, 0)
    steps = dict(RoundEvent.objects.filter(round=round_).values_list("step", "due_at"))
    assert steps == {
        RoundStep.OPEN: round_.opens_at,
        RoundStep.REMIND: round_.opens_at + timedelta(days=3),
        RoundStep.CLOSE: round_.closes_at,
    }


def test_it_refuses_an_anchored_round_for_a_cohort_without_sessions(world, knowledge_survey):
    world.cohort.sessions.all().delete()
    with pytest.raises(rounds.RoundError, match="no workshop sessions"):
        rounds.round_schedule(
            survey=knowledge_survey,
            plan=rounds.RoundPlan(label="After", anchor=Anchor.AFTER_LAST, offset_days=1),
        )


def test_it_refuses_a_round_that_would_already_be_closed(knowledge_survey):
    with pytest.raises(rounds.RoundError, match="already be closed"):
        rounds.round_schedule(
            survey=knowledge_survey,
            plan=rounds.RoundPlan(
                label="Past", anchor=Anchor.AT, opens_at=datetime(2020, 1, 1, tzinfo=UTC)
            ),
        )


def test_it_opens_a_due_round_and_tells_each_participant_once(run_due, world, round_now):
    run_due()
    run_due()
    round_now.refresh_from_db()
    assert round_now.status == RoundStatus.OPEN
    told = Notification.objects.filter(key=f"survey-open:{round_now.pk}")
    assert sorted(n.user.email for n in told) == sorted(PARTICIPANTS)
    mails = OutboxMessage.objects.filter(idempotency_key__startswith="notify:").filter(
        idempotency_key__endswith=f"survey-open:{round_now.pk}"
    )
    assert mails.count() == 3
    assert all("/surveys/link/" in m.content()["body_text"] for m in mails)


def test_it_does_nothing_twice_when_a_step_task_is_retried(world, round_now):
    event = RoundEvent.objects.get(round=round_now, step=RoundStep.OPEN)
    with transaction.atomic():
        assert event.pk in scheduling.claim_due_rows(scheduling.due_kind("survey_round"))
    assert run_due_batch("survey_round", [event.pk]) == 1
    assert run_due_batch("survey_round", [event.pk]) == 0
    assert Notification.objects.filter(key=f"survey-open:{round_now.pk}").count() == 3


def test_it_reminds_only_those_who_have_not_submitted(run_due, world, round_now, knowledge_survey):
    run_due()
    Response.objects.create(
        round=round_now, participant=world.participant, status=ResponseStatus.SUBMITTED
    )
    Response.objects.create(round=round_now, participant=world.groupmate)
    later = clock.now() + timedelta(days=3, minutes=1)
    run_due(now=later)
    reminded = Notification.objects.filter(key=f"survey-remind:{round_now.pk}")
    assert sorted(n.user.email for n in reminded) == [
        "green@example.test",
        "groupmate@example.test",
    ]
    run_due(now=later + timedelta(minutes=5))
    assert reminded.count() == 2


def test_it_closes_the_round_at_its_deadline(run_due, round_now):
    run_due()
    run_due(now=round_now.closes_at + timedelta(minutes=1))
    round_now.refresh_from_db()
    assert round_now.status == RoundStatus.CLOSED
    assert not round_now.accepts_answers_at(clock.now())


def test_it_never_opens_a_cancelled_round(run_due, world, knowledge_survey):
    round_ = rounds.round_schedule(
        survey=knowledge_survey,
        plan=rounds.RoundPlan(
            label="Soon", anchor=Anchor.AT, opens_at=clock.now() + timedelta(hours=1)
        ),
    )
    rounds.round_cancel(round_=round_)
    run_due(now=clock.now() + timedelta(days=30))
    round_.refresh_from_db()
    assert round_.status == RoundStatus.CANCELLED
    assert not Notification.objects.filter(key__startswith="survey-").exists()
    assert set(RoundEvent.objects.filter(round=round_).values_list("status", flat=True)) == {
        DueStatus.CANCELLED
    }


def test_it_moves_unopened_anchored_rounds_with_the_sessions(world, knowledge_survey):
    round_ = rounds.round_schedule(
        survey=knowledge_survey,
        plan=rounds.RoundPlan(label="+30 days", anchor=Anchor.AFTER_LAST, offset_days=30),
    )
    session = world.cohort.sessions.get()
    session.starts_at += timedelta(days=7)
    session.ends_at += timedelta(days=7)
    session.save(update_fields=["starts_at", "ends_at"])
    assert rounds.rounds_follow_sessions(cohort=world.cohort) == 1
    moved = type(round_).objects.get(pk=round_.pk)
    assert moved.opens_at == round_.opens_at + timedelta(days=7)
    open_event = RoundEvent.objects.get(round=round_, step=RoundStep.OPEN)
    assert open_event.due_at == moved.opens_at


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_opens_once_when_two_dispatchers_race(world, round_now):
    import threading

    from django.db import connection

    barrier = threading.Barrier(2)

    def dispatcher():
        try:
            barrier.wait()
            scheduling.dispatch_all()
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Notification.objects.filter(key=f"survey-open:{round_now.pk}").count() == 3
    # Notifications are unique per key anyway; the claim count shows one dispatcher had the row.
    opening = RoundEvent.objects.get(round=round_now, step=RoundStep.OPEN)
    assert (opening.status, opening.attempts) == (DueStatus.DONE, 1)
