"""Demo: the coaching cohort measured the lift of sparks, and its dashboard says what came of it."""

import pytest
from django.urls import reverse

from accounts.models import User
from insights.lift import lift_probe_answers
from insights.lift_stats import lift_sentence, paired_lift
from sparks.models import PROBE_ATTEMPT, Delivery, DeliveryOutcome, LiftAssignment, LiftStudy


@pytest.fixture
def coaching(demo, db):
    return demo.cohorts.get(name="Coaching conversations")


def test_the_coaching_cohort_measured_the_lift_before_its_first_spark(coaching):
    study = LiftStudy.objects.get(cohort=coaching)
    first_sent = (
        Delivery.objects.filter(spark__cohort=coaching, sent_at__isnull=False)
        .order_by("sent_at")
        .first()
    )
    assert study.started_at < first_sent.sent_at
    assert study.fixed_at == first_sent.sent_at
    assert study.objectives == ["GROW stages", "Open questions"]
    people = coaching.enrolments.filter(role="participant").count()
    assert LiftAssignment.objects.filter(study=study).count() == 2 * people
    # Held out means never sparked on it: no first ask of a held-out objective was sent.
    for row in LiftAssignment.objects.filter(study=study, boosted=False):
        assert not Delivery.objects.filter(
            spark__cohort=coaching,
            spark__objective=row.objective,
            participant_id=row.participant_id,
            attempt__gte=1,
            sent_at__isnull=False,
        ).exists()
    probes = Delivery.objects.filter(spark__cohort=coaching, attempt=PROBE_ATTEMPT)
    assert probes.count() == 2 * people
    assert probes.filter(outcome=DeliveryOutcome.ANSWERED).exists()
    assert probes.filter(sent_at__isnull=True).exists()


def test_its_dashboard_says_honestly_what_thelift_probe_answers_show(coaching, client):
    answers = [a for _, a in lift_probe_answers(Delivery.objects.filter(spark__cohort=coaching))]
    assert answers
    client.force_login(User.objects.get(email="manager@demo.test"))
    response = client.get(
        reverse("insights:cohort_lift", args=[coaching.pk]), HTTP_HX_REQUEST="true"
    )
    assert lift_sentence(paired_lift(answers)) in response.text
    assert "probe" in response.text
