import re
from datetime import timedelta
from urllib.parse import urlsplit

from django.core import mail
from django.test import Client

from coaching.models import Observation, ObservationRound
from tests.coaching.conftest import OBJECTIVES


def _open_round(world, travel, deliver):
    travel.to(world.cohort.sessions.get().ends_at + timedelta(days=30, hours=12))
    mail.outbox.clear()
    deliver()
    return ObservationRound.objects.get(cohort=world.cohort, offset_days=30)


def _links(message) -> list[str]:
    return re.findall(r"http://[^\s]+/coaching/observe/[^\s/]+/", message.body)


def test_it_asks_each_coach_once_with_a_link_per_person(world, coaching_planned, travel, deliver):
    round_ = _open_round(world, travel, deliver)
    [to_coach] = [
        m for m in mail.outbox if m.to == [world.coach.email] and "How often" in m.subject
    ]
    assert "How often have you seen it applied?" in to_coach.subject
    assert len(_links(to_coach)) == 2
    assert round_.opened_at and round_.step == "remind"


def test_it_saves_ratings_from_the_one_click_link_without_a_password(
    world, coaching_planned, travel, deliver
):
    round_ = _open_round(world, travel, deliver)
    [to_coach] = [
        m for m in mail.outbox if m.to == [world.coach.email] and "How often" in m.subject
    ]
    browser = Client()
    enrolment = world.participant.enrolments.get()
    form_url = f"/coaching/observations/{round_.pk}/people/{enrolment.pk}/"
    links = [urlsplit(link).path for link in _links(to_coach)]
    opened = [browser.get(link) for link in links]
    assert form_url in [response["Location"] for response in opened]
    page = browser.get(form_url).content.decode()
    assert all(objective in page for objective in OBJECTIVES)

    incomplete = browser.post(form_url, {"rating_0": "2", "note_0": "Twice in our 1:1s"})
    assert incomplete.status_code == 400
    assert "Choose how often you saw this applied." in incomplete.content.decode()
    assert "Twice in our 1:1s" in incomplete.content.decode()
    assert not Observation.objects.exists()

    done = browser.post(form_url, {"rating_0": "2", "note_0": "Twice in 1:1s", "rating_1": "3"})
    assert done.status_code == 302
    saved = dict(Observation.objects.values_list("objective", "frequency"))
    assert saved == {OBJECTIVES[0]: 2, OBJECTIVES[1]: 3}
    # Rating again replaces, never adds.
    browser.post(form_url, {"rating_0": "3", "rating_1": "3"})
    assert Observation.objects.count() == 2
    # The link opened this one form, nothing else of the coach's.
    assert browser.get("/coaching/").status_code == 302


def test_it_reminds_once_only_coaches_who_left_someone_unrated(
    world, coaching_planned, travel, deliver, client_for
):
    round_ = _open_round(world, travel, deliver)
    client = client_for(world.other_coach)
    enrolment = world.other_group_participant.enrolments.get()
    client.post(
        f"/coaching/observations/{round_.pk}/people/{enrolment.pk}/",
        {"rating_0": "1", "rating_1": "0"},
    )
    travel.by(timedelta(days=8))
    mail.outbox.clear()
    deliver()
    reminders = [m for m in mail.outbox if m.subject.split("] ")[-1].startswith("Reminder")]
    assert [m.to for m in reminders] == [[world.coach.email]]
    assert len(_links(reminders[0])) == 2
    travel.by(timedelta(days=8))
    mail.outbox.clear()
    deliver()
    assert not [m for m in mail.outbox if "Reminder" in m.subject]


def test_it_refuses_a_link_once_the_coach_changed(world, coaching_planned, travel, deliver):
    _open_round(world, travel, deliver)
    [to_coach] = [
        m for m in mail.outbox if m.to == [world.coach.email] and "How often" in m.subject
    ]
    world.participant.enrolments.update(coach=world.other_coach)
    responses = [Client().get(urlsplit(link).path) for link in _links(to_coach)]
    assert sorted(r.status_code for r in responses) == [302, 400]
