"""Scheduling rounds from the surveys pages: presets in the cohort time zone, moving, cancelling."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from cohorts.timeline import Anchor
from notifications.scheduling import DueStatus
from socialtraining import clock
from surveys import building, rounds
from surveys.models import Round, RoundEvent, RoundStatus, RoundStep


@pytest.fixture
def new_york(world, travel):
    """The cohort in New York, its one session ending 17:00 local on Tuesday 2 March 2027, seen
    from 1 February 2027: every preset is still ahead, whatever day the suite runs."""
    travel.to(datetime(2027, 2, 1, 12, 0, tzinfo=UTC))
    world.cohort.time_zone = "America/New_York"
    world.cohort.save(update_fields=["time_zone"])
    world.cohort.sessions.update(
        starts_at=datetime(2027, 3, 2, 14, 0, tzinfo=UTC),
        ends_at=datetime(2027, 3, 2, 22, 0, tzinfo=UTC),
    )
    return world.cohort


def form(**values):
    return {"when": "after", "at_time": "09:00", "open_days": "14", "remind_after_days": "3"} | {
        k: v for k, v in values.items()
    }


def schedule(world, client_for, survey, **values):
    url = f"/cohorts/{world.cohort.pk}/surveys/{survey.pk}/rounds/new/"
    return client_for(world.instructor).post(url, form(**values))


def local(moment, cohort):
    return moment.astimezone(cohort.tz).replace(tzinfo=None)


@pytest.mark.parametrize(
    ("when", "label", "opens"),
    [
        ("before", "Before the workshop", datetime(2027, 2, 23, 9, 0)),
        # When the last session ends (17:00), not at 09:00 while it runs.
        ("after", "Right after", datetime(2027, 3, 2, 17, 0)),
        ("plus30", "+30 days", datetime(2027, 4, 1, 9, 0)),
        ("plus60", "+60 days", datetime(2027, 5, 1, 9, 0)),
        ("plus90", "+90 days", datetime(2027, 5, 31, 9, 0)),
    ],
)
def test_it_places_presets_in_the_cohort_time_zone(
    world, client_for, knowledge_survey, new_york, when, label, opens
):
    response = schedule(world, client_for, knowledge_survey, when=when)

    assert response.status_code == 302
    assert response["Location"] == f"/cohorts/{world.cohort.pk}/surveys/"
    round_ = Round.objects.get(survey=knowledge_survey)
    assert round_.label == label
    assert local(round_.opens_at, new_york) == opens
    # Open for 14 days on the cohort's wall clock, across daylight-saving changes too.
    assert local(round_.closes_at, new_york) == opens + timedelta(days=14)


def test_it_crosses_daylight_saving_at_the_same_local_time(
    world, client_for, knowledge_survey, new_york
):
    # New York moves to summer time on 14 March 2027: 09:00 local is 13:00 UTC afterwards.
    schedule(world, client_for, knowledge_survey, when="plus30")
    round_ = Round.objects.get()
    assert round_.opens_at == datetime(2027, 4, 1, 13, 0, tzinfo=UTC)


def test_it_schedules_a_custom_offset_at_a_local_time(
    world, client_for, knowledge_survey, new_york
):
    schedule(
        world,
        client_for,
        knowledge_survey,
        when="custom",
        custom_days="45",
        custom_anchor=Anchor.AFTER_LAST,
        at_time="14:30",
        label="",
    )
    round_ = Round.objects.get()
    assert (round_.label, round_.anchor, round_.offset_days) == ("+45 days", "after_last", 45)
    assert local(round_.opens_at, new_york) == datetime(2027, 4, 16, 14, 30)


def test_it_schedules_on_a_date_with_its_own_label_and_no_reminder(
    world, client_for, knowledge_survey, new_york
):
    schedule(
        world,
        client_for,
        knowledge_survey,
        when="at",
        on_date="2027-06-15",
        at_time="08:15",
        remind_after_days="",
        open_days="5",
        label="Summer check",
    )
    round_ = Round.objects.get()
    assert round_.label == "Summer check" and round_.anchor == Anchor.AT
    assert local(round_.opens_at, new_york) == datetime(2027, 6, 15, 8, 15)
    assert round_.remind_after_days is None
    assert set(RoundEvent.objects.values_list("step", flat=True)) == {"open", "close"}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"when": "custom", "custom_days": ""}, "Say how many days before or after the workshop."),
        ({"when": "at", "on_date": ""}, "Choose the date the round opens."),
        ({"open_days": "3", "remind_after_days": "3"}, "a reminder after 3 days would never"),
        ({"open_days": "0"}, "greater than or equal to 1"),
        ({"when": "at", "on_date": "2020-01-01"}, "That round would already be closed."),
        ({"when": "at", "on_date": "9999-12-31"}, "Choose a date between 2000 and 2099."),
    ],
)
def test_it_refuses_bad_rounds_with_a_clear_message(
    world, client_for, knowledge_survey, new_york, values, message
):
    response = schedule(world, client_for, knowledge_survey, label="Kept label", **values)

    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert 'value="Kept label"' in html
    assert not Round.objects.exists()


def test_it_explains_that_a_cohort_without_sessions_needs_a_date(
    world, client_for, knowledge_survey
):
    world.cohort.sessions.all().delete()
    response = schedule(world, client_for, knowledge_survey, when="plus30")
    assert response.status_code == 400
    assert "no workshop sessions yet" in response.content.decode()


def test_it_moves_an_unopened_round_with_its_steps(world, client_for, knowledge_survey, new_york):
    round_ = rounds.round_schedule(
        survey=knowledge_survey,
        plan=rounds.RoundPlan(label="Right after", anchor=Anchor.AFTER_LAST),
    )
    url = f"/cohorts/{world.cohort.pk}/surveys/rounds/{round_.pk}/edit/"
    client = client_for(world.instructor)
    page = client.get(url).content.decode()
    assert re.search(r'value="after"[^>]* checked', page)

    response = client.post(url, form(when="plus60", open_days="7", remind_after_days=""))

    assert response.status_code == 302
    round_.refresh_from_db()
    assert round_.label == "+60 days" and round_.offset_days == 60
    assert local(round_.opens_at, new_york) == datetime(2027, 5, 1, 9, 0)
    events = dict(RoundEvent.objects.filter(round=round_).values_list("step", "status"))
    assert events[RoundStep.REMIND] == DueStatus.CANCELLED
    assert RoundEvent.objects.get(round=round_, step="close").due_at == round_.closes_at

    # The reminder switched back on comes back as a pending step.
    client.post(url, form(when="plus60", open_days="7", remind_after_days="2"))
    remind = RoundEvent.objects.get(round=round_, step=RoundStep.REMIND)
    assert remind.status == DueStatus.PENDING
    assert remind.due_at == round_.opens_at + timedelta(days=2)


def test_it_refuses_to_move_or_cancel_an_open_round(world, client_for, knowledge_survey):
    round_ = rounds.round_schedule(
        survey=knowledge_survey,
        plan=rounds.RoundPlan(
            label="Now", anchor=Anchor.AT, opens_at=clock.now() - timedelta(hours=1)
        ),
    )
    Round.objects.filter(pk=round_.pk).update(status=RoundStatus.OPEN)
    client = client_for(world.instructor)
    base = f"/cohorts/{world.cohort.pk}/surveys/rounds/{round_.pk}"

    moved = client.post(f"{base}/edit/", form(when="plus30"))
    cancelled = client.post(f"{base}/cancel/", follow=True)

    assert moved.status_code == 400
    assert "This round has opened, so it can no longer be moved." in moved.content.decode()
    assert "A round that has opened cannot be cancelled" in cancelled.content.decode()
    assert Round.objects.get(pk=round_.pk).status == RoundStatus.OPEN


def test_it_cancels_an_unopened_round(world, client_for, knowledge_survey):
    round_ = rounds.round_schedule(
        survey=knowledge_survey,
        plan=rounds.RoundPlan(label="+30 days", anchor=Anchor.AFTER_LAST, offset_days=30),
    )
    client = client_for(world.manager)
    response = client.post(
        f"/cohorts/{world.cohort.pk}/surveys/rounds/{round_.pk}/cancel/", follow=True
    )

    assert "Round “+30 days” cancelled; nobody was notified." in response.content.decode()
    assert Round.objects.get(pk=round_.pk).status == RoundStatus.CANCELLED
    assert set(RoundEvent.objects.values_list("status", flat=True)) == {DueStatus.CANCELLED}


def test_it_does_not_reach_a_round_of_another_cohort(world, client_for, knowledge_survey):
    round_ = rounds.round_schedule(
        survey=knowledge_survey,
        plan=rounds.RoundPlan(label="+30 days", anchor=Anchor.AFTER_LAST, offset_days=30),
    )
    world.other_cohort.enrolments.create(user=world.instructor, role="instructor")
    response = client_for(world.instructor).post(
        f"/cohorts/{world.other_cohort.pk}/surveys/rounds/{round_.pk}/cancel/"
    )
    assert response.status_code == 404
    assert Round.objects.get(pk=round_.pk).status == RoundStatus.SCHEDULED


def test_it_offers_the_date_of_a_round_placed_on_a_date(world, client_for, knowledge_survey):
    round_ = rounds.round_schedule(
        survey=knowledge_survey,
        plan=rounds.RoundPlan(
            label="Check-in", anchor=Anchor.AT, opens_at=datetime(2030, 6, 15, 7, 0, tzinfo=UTC)
        ),
    )
    page = client_for(world.instructor).get(
        f"/cohorts/{world.cohort.pk}/surveys/rounds/{round_.pk}/edit/"
    )
    html = page.content.decode()
    # 07:00 UTC is 09:00 in Paris in June.
    assert f'value="{date(2030, 6, 15).isoformat()}"' in html and 'value="09:00"' in html
    assert 'value="Check-in"' in html


def test_it_schedules_the_standard_rounds_in_one_click_and_not_twice(
    world, client_for, knowledge_survey, new_york
):
    url = f"/cohorts/{world.cohort.pk}/surveys/{knowledge_survey.pk}/rounds/standard/"
    client = client_for(world.instructor)
    response = client.post(url, follow=True)
    assert (
        "5 rounds scheduled: Before the workshop, Right after, +30 days, +60 days, +90 days."
        in response.text
    )
    opening = {r.label: local(r.opens_at, new_york) for r in Round.objects.all()}
    assert opening == {
        "Before the workshop": datetime(2027, 2, 23, 9, 0),
        "Right after": datetime(2027, 3, 2, 17, 0),
        "+30 days": datetime(2027, 4, 1, 9, 0),
        "+60 days": datetime(2027, 5, 1, 9, 0),
        "+90 days": datetime(2027, 5, 31, 9, 0),
    }
    again = client.post(url, follow=True)
    assert "Not scheduled: Before the workshop (already scheduled);" in again.text
    assert Round.objects.count() == 5


def test_it_leaves_out_standard_rounds_whose_time_has_passed(
    world, client_for, knowledge_survey, new_york, travel
):
    travel.to(datetime(2027, 4, 10, 12, 0, tzinfo=UTC))
    url = f"/cohorts/{world.cohort.pk}/surveys/{knowledge_survey.pk}/rounds/standard/"
    response = client_for(world.instructor).post(url, follow=True)
    # +30 days opened on 1 April and is open 14 days: still open, so it is scheduled.
    assert "3 rounds scheduled: +30 days, +60 days, +90 days." in response.text
    assert "Before the workshop (its time has passed); Right after (its time has passed)" in (
        response.text
    )


def test_it_refuses_to_schedule_a_starter_s_example_questions(world, client_for, new_york):
    from surveys.starters import STARTERS

    survey = building.survey_create(
        cohort=world.cohort,
        user=world.instructor,
        title="Check",
        purpose="knowledge",
        starter=STARTERS["knowledge"],
    )
    response = schedule(world, client_for, survey, label="Kept label")
    assert response.status_code == 400
    assert "Questions 1 and 2 still hold the starter&#x27;s example wording." in response.text
    assert not Round.objects.exists()
    first = survey.questions.get(position=1)
    first.text = "Which stage of GROW explores options?"
    first.save(update_fields=["text"])
    response = schedule(world, client_for, survey, label="Kept label")
    # Its choices, explanation and objective are still the examples.
    assert "Questions 1 and 2 still hold" in response.text
    assert not Round.objects.exists()
    standard = client_for(world.instructor).post(
        f"/cohorts/{world.cohort.pk}/surveys/{survey.pk}/rounds/standard/", follow=True
    )
    assert "still hold the starter" in standard.text
    assert not Round.objects.exists()
