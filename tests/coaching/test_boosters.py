from datetime import time, timedelta

from django.core import mail

from coaching.forms import BoosterForm
from coaching.models import CoachingBooster
from coaching.services import coaching_plan
from notifications.models import Notification
from sparks.models import SparkSchedule
from tests.coaching.conftest import answer_check


def _first(user):
    return user.name.split()[0]


def test_it_sends_each_coach_one_prompt_for_all_their_people(
    world, coaching_planned, travel, deliver
):
    questions, rounds = coaching_planned
    end = world.cohort.sessions.get().ends_at
    travel.to(end + timedelta(hours=1))
    answer_check(world.participant, questions, rounds[0], [True, False])
    travel.to(end + timedelta(days=3, hours=12))
    mail.outbox.clear()
    deliver()
    to_coach = [m for m in mail.outbox if m.to == [world.coach.email]]
    to_other = [m for m in mail.outbox if m.to == [world.other_coach.email]]
    assert len(to_coach) == 1 and len(to_other) == 1
    body = to_coach[0].body
    assert "+2 days after the workshop" in body
    assert world.participant.name in body and world.groupmate.name in body
    assert world.other_group_participant.name not in body
    # The starter focuses on what the person's recent answers show they are unsure of.
    assert (
        f"Ask {_first(world.participant)} what they tried from the workshop this week, "
        "and how “Name the impact” went. "
        f"Recently {_first(world.participant)} was unsure about it (0 of 1 answers right)."
    ) in body
    assert f"{_first(world.groupmate)} has not answered any questions lately." in body
    assert "List-Unsubscribe" in to_coach[0].extra_headers
    booster = CoachingBooster.objects.get(cohort=world.cohort, offset_days=2)
    assert booster.coaches_told == 2 and booster.sent_at
    assert Notification.objects.filter(key=f"coaching-prompt:{booster.pk}").count() == 2
    # Run again: nobody is told twice.
    mail.outbox.clear()
    deliver()
    assert not [m for m in mail.outbox if "conversation" in m.subject]


def test_it_sends_in_the_cohort_time_zone_and_send_window(world, travel):
    SparkSchedule.objects.create(cohort=world.cohort, window_start=time(8, 0))
    world.participant.enrolments.update(coach=world.coach)
    coaching_plan(cohort=world.cohort)
    booster = CoachingBooster.objects.get(cohort=world.cohort, offset_days=14)
    local = booster.due_at.astimezone(world.cohort.tz)
    end = world.cohort.sessions.get().ends_at.astimezone(world.cohort.tz)
    assert (local.date(), local.time()) == (end.date() + timedelta(days=14), time(8, 0))


def test_it_lets_instructors_edit_a_starter_until_it_is_sent(
    world, coaching_planned, client_for, travel, deliver
):
    booster = CoachingBooster.objects.get(cohort=world.cohort, offset_days=2)
    url = f"/cohorts/{world.cohort.pk}/coaching/prompts/{booster.pk}/"
    client = client_for(world.instructor)
    bad = client.post(url, {f"b{booster.pk}-starter": "Ask {nme} about {objective}"})
    assert bad.status_code == 400
    assert "remove {nme}" in bad.content.decode()
    assert "Ask {nme} about {objective}" in bad.content.decode()
    good = client.post(url, {f"b{booster.pk}-starter": "Ask {name} about {objective}, today."})
    assert good.status_code == 302
    plan = client.get(f"/cohorts/{world.cohort.pk}/coaching/").content.decode()
    assert "Ask {name} about {objective}, today." in plan

    travel.to(world.cohort.sessions.get().ends_at + timedelta(days=3))
    mail.outbox.clear()
    deliver()
    assert any(f"Ask {_first(world.participant)} about" in m.body for m in mail.outbox)
    late = client.post(url, {f"b{booster.pk}-starter": "Too late"})
    assert late.status_code == 400
    assert "gone out already" in late.content.decode()


def test_it_skips_a_booster_that_passed_before_anyone_had_a_coach(world, travel):
    travel.to(world.cohort.sessions.get().ends_at + timedelta(days=20))
    world.participant.enrolments.update(coach=world.coach)
    coaching_plan(cohort=world.cohort)
    statuses = dict(
        CoachingBooster.objects.filter(cohort=world.cohort).values_list("offset_days", "status")
    )
    assert statuses == {2: "cancelled", 14: "cancelled", 60: "pending"}


def test_a_starter_takes_its_fields_as_they_are():
    assert BoosterForm({"starter": "Ask {name} about {objective}."}).is_valid()
    # A format spec would be applied to every coach's email when the prompt goes out.
    padded = BoosterForm({"starter": "Ask {name:>999999999} about it."})
    assert not padded.is_valid()
    assert "with nothing after" in padded.errors["starter"][0]
    assert not BoosterForm({"starter": "Ask {name!r}."}).is_valid()
    assert not BoosterForm({"starter": "Ask {name.__class__}."}).is_valid()
