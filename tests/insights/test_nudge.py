"""Nudging participants at risk: one notification and one email per person and nudge."""

import re

import pytest
from django.core import mail

from notifications.models import Notification, OutboxMessage

NUDGE_ID = "0123456789abcdef0123456789abcdef"


def _url(world) -> str:
    return f"/cohorts/{world.cohort.pk}/insights/nudge/"


def test_it_nudges_the_selected_participants_once(
    world, client_for, django_capture_on_commit_callbacks
):
    client = client_for(world.instructor)
    people = [world.participant.pk, world.other_group_participant.pk]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(world), {"people": people, "nudge_id": NUDGE_ID}, follow=True)
    assert response.redirect_chain[-1][0] == f"/cohorts/{world.cohort.pk}/insights/#at-risk"
    html = response.content.decode()
    assert re.search(
        rf"Nudged ({world.participant.name}, {world.other_group_participant.name}|"
        rf"{world.other_group_participant.name}, {world.participant.name}) at \d\d:\d\d",
        html,
    )
    key = f"insights-nudge:{world.cohort.pk}:{NUDGE_ID}"
    assert set(Notification.objects.filter(key=key).values_list("user__email", flat=True)) == {
        "participant@example.test",
        "green@example.test",
    }
    outbox = OutboxMessage.objects.filter(idempotency_key__contains=key)
    assert sorted(outbox.values_list("to_email", flat=True)) == [
        "green@example.test",
        "participant@example.test",
    ]
    assert sorted(m.to for m in mail.outbox) == [
        ["green@example.test"],
        ["participant@example.test"],
    ]
    assert "We miss you in Feedback that lands" in mail.outbox[0].subject
    # The same form sent again (a double click) sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(world), {"people": people, "nudge_id": NUDGE_ID}, follow=True)
    assert (
        "This nudge was already sent to everyone selected: nothing sent."
        in response.content.decode()
    )
    assert Notification.objects.filter(key=key).count() == 2
    assert OutboxMessage.objects.filter(idempotency_key__contains=key).count() == 2
    assert len(mail.outbox) == 2


def test_it_shows_when_each_person_was_last_nudged(world, client_for):
    client = client_for(world.manager)
    client.post(_url(world), {"people": [world.participant.pk], "nudge_id": NUDGE_ID})
    html = client.get(f"/cohorts/{world.cohort.pk}/insights/participants.csv")
    rows = b"".join(html.streaming_content).decode()
    nudged = Notification.objects.get(user=world.participant).created_at
    assert "participant@example.test" in rows
    assert nudged.isoformat() in rows


def test_it_only_nudges_participants_of_this_cohort(world, client_for):
    response = client_for(world.manager).post(
        _url(world),
        {"people": [world.other_cohort_participant.pk, world.instructor.pk], "nudge_id": NUDGE_ID},
    )
    assert response.status_code == 400
    assert "is not one of the available choices" in response.content.decode()
    assert not Notification.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_it_asks_to_select_someone(world, client_for):
    response = client_for(world.manager).post(_url(world), {"nudge_id": NUDGE_ID})
    assert response.status_code == 400
    assert "Select at least one participant." in response.content.decode()


def test_it_refuses_a_damaged_form(world, client_for):
    response = client_for(world.manager).post(
        _url(world), {"people": [world.participant.pk], "nudge_id": "x"}
    )
    assert response.status_code == 400
    assert "This form is damaged; reload the page." in response.content.decode()
    assert not Notification.objects.exists()


@pytest.mark.parametrize("persona", ["participant", "other_cohort_participant", "outsider"])
def test_it_is_not_found_for_those_who_may_not_nudge(persona, world, client_for):
    response = client_for(getattr(world, persona)).post(
        _url(world), {"people": [world.participant.pk], "nudge_id": NUDGE_ID}
    )
    assert response.status_code == 404
    assert not Notification.objects.exists()


def test_it_refuses_get(world, client_for):
    assert client_for(world.manager).get(_url(world)).status_code == 405


def test_it_suggests_a_message_and_sends_the_one_the_sender_wrote(world, client_for):
    client = client_for(world.instructor)
    page = client.get(f"/cohorts/{world.cohort.pk}/insights/").content.decode()
    assert f"{world.instructor.name} wonders how you are getting on." in page
    client.post(
        _url(world),
        {
            "people": [world.participant.pk],
            "nudge_id": NUDGE_ID,
            "message": "Your group misses your stories. Join Thursday's thread?",
        },
    )
    notice = Notification.objects.get(key=f"insights-nudge:{world.cohort.pk}:{NUDGE_ID}")
    assert notice.body == "Your group misses your stories. Join Thursday's thread?"
