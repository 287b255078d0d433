from accounts.models import Membership, Role
from coaching.models import CoachingBooster, Observation, ObservationRound
from cohorts.models import Enrolment
from demo.seeding import PASSWORD
from notifications.models import Notification, OutboxMessage


def test_it_has_coaches_for_part_of_a_cohort_and_for_the_demo_participant(client, demo):
    roles = dict(
        Membership.objects.filter(organization=demo, role=Role.COACH).values_list(
            "user__email", "role"
        )
    )
    assert set(roles) == {"coach@demo.test", "mentor@demo.test"}
    sam = Enrolment.objects.get(user__email="participant@demo.test")
    assert sam.coach.email == "coach@demo.test"
    coached = Enrolment.objects.filter(cohort__name="Coaching conversations", coach__isnull=False)
    assert coached.count() == 10
    assert coached.count() < Enrolment.objects.filter(cohort__name="Coaching conversations").count()

    response = client.post("/accounts/login/", {"login": "coach@demo.test", "password": PASSWORD})
    assert response.status_code == 302
    home = client.get("/coaching/").content.decode()
    assert home.count('href="/coaching/people/') == 9
    assert "Coaching conversations" in home and "Leading hybrid teams" in home


def test_it_has_prompts_sent_and_observations_answered_without_sending_mail(demo):
    sent = CoachingBooster.objects.filter(
        cohort__name="Coaching conversations", sent_at__isnull=False
    )
    assert {b.offset_days for b in sent} >= {2, 14}
    assert all(b.coaches_told == 2 for b in sent)
    first = ObservationRound.objects.get(cohort__name="Coaching conversations", offset_days=30)
    assert first.opened_at and first.reminded_at
    observations = Observation.objects.filter(round=first)
    assert observations.values("coach").distinct().count() == 2
    assert 0 < observations.values("enrolment").distinct().count() <= 10
    coaches = ["coach@demo.test", "mentor@demo.test"]
    assert Notification.objects.filter(
        user__email__in=coaches, key__startswith="coaching-prompt:"
    ).exists()
    assert not OutboxMessage.objects.filter(to_email__in=coaches).exists()
