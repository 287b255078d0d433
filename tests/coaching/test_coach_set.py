from datetime import timedelta

from accounts.models import Invitation, Membership, Role
from coaching.models import CoachingBooster, ObservationRound
from notifications.models import Notification, OutboxMessage
from socialtraining import clock
from tests import factories


def _url(world, user):
    enrolment = user.enrolments.get(cohort=world.cohort)
    return f"/cohorts/{world.cohort.pk}/people/{enrolment.pk}/coach/"


def test_it_invites_a_new_coach_like_anyone_else(world, client_for):
    client = client_for(world.manager)
    response = client.post(
        _url(world, world.groupmate), {"email": "Boss@Example.test", "name": "Bo"}
    )
    assert response.status_code == 302
    enrolment = world.groupmate.enrolments.get()
    assert enrolment.coach.email == "boss@example.test"
    assert enrolment.coach_since <= clock.now()
    membership = Membership.objects.get(user=enrolment.coach)
    assert membership.role == Role.COACH
    invitation = Invitation.objects.get(email="boss@example.test")
    assert invitation.role == Role.COACH
    assert OutboxMessage.objects.filter(to_email="boss@example.test").count() == 1
    # The cohort's prompts and observation rounds are planned from its workshop.
    end = world.cohort.sessions.get().ends_at.astimezone(world.cohort.tz)
    boosters = list(CoachingBooster.objects.filter(cohort=world.cohort))
    assert [b.offset_days for b in boosters] == [2, 14, 60]
    for booster in boosters:
        local = booster.due_at.astimezone(world.cohort.tz)
        assert local.date() == end.date() + timedelta(days=booster.offset_days)
        assert (local.hour, local.minute) == (9, 0)
    assert ObservationRound.objects.filter(cohort=world.cohort).count() == 3
    people = client.get(f"/cohorts/{world.cohort.pk}/people/").content.decode()
    hidden = '<span class="visually-hidden">'
    assert f"Change{hidden} the coach of {world.groupmate.name}</span></a>" in people


def test_it_tells_a_coach_who_has_an_account(world, client_for):
    boss = factories.UserFactory(email="boss@example.test")
    client_for(world.manager).post(_url(world, world.groupmate), {"email": boss.email})
    assert Notification.objects.filter(
        user=boss, key=f"coaching-welcome:{world.cohort.pk}"
    ).exists()
    assert not Invitation.objects.filter(email=boss.email).exists()


def test_it_refuses_a_person_as_their_own_coach_and_keeps_the_text(world, client_for):
    response = client_for(world.manager).post(
        _url(world, world.groupmate), {"email": world.groupmate.email, "name": "Me myself"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nobody coaches themselves" in body
    assert 'value="Me myself"' in body
    assert world.groupmate.enrolments.get().coach is None


def test_it_refuses_a_bad_address_and_keeps_it(world, client_for):
    response = client_for(world.manager).post(_url(world, world.groupmate), {"email": "not-mail"})
    assert response.status_code == 400
    assert 'value="not-mail"' in response.content.decode()


def test_it_removes_a_coach(world, client_for):
    client_for(world.manager).post(_url(world, world.participant), {"email": ""})
    assert world.participant.enrolments.get().coach is None
