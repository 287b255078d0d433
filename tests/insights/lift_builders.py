"""A cohort whose lift was measured: a study, its design and answered probes, in bulk inserts."""

from __future__ import annotations

import random
from datetime import timedelta

from accounts.models import User
from cohorts.models import CohortRole, Enrolment
from insights.lift_stats import ProbeAnswer
from notifications.scheduling import DueStatus
from socialtraining import clock
from sparks.lift_design import objective_halves
from sparks.models import (
    PROBE_ATTEMPT,
    Delivery,
    DeliveryOutcome,
    LiftAssignment,
    LiftStudy,
    Spark,
    SparkAnswer,
    SparkKind,
)
from tests import factories

OBJECTIVES = ["Asking", "Feedback", "Listening", "Silence"]


def measured_cohort(
    organization, *, people: int, lift_points: float, seed: int = 1, name: str = "Measured"
):
    """A cohort of `people` participants 100 days after its workshop, each probed on every
    objective and answering right with 55% chance (+ `lift_points` when boosted).
    Returns (cohort, the probe answers as the statistics see them)."""
    now = clock.now()
    cohort = factories.CohortFactory(organization=organization, name=name)
    end = now - timedelta(days=100)
    factories.WorkshopSessionFactory(cohort=cohort, starts_at=end - timedelta(hours=6), ends_at=end)
    users = User.objects.bulk_create(
        User(email=f"{name.lower()}{n}@example.test", display_name=f"{name} person {n}")
        for n in range(people)
    )
    Enrolment.objects.bulk_create(
        Enrolment(cohort=cohort, user=u, role=CohortRole.PARTICIPANT) for u in users
    )
    study = LiftStudy.objects.create(
        cohort=cohort, seed=f"seed{seed}", objectives=OBJECTIVES, fixed_at=end
    )
    sparks = {
        objective: Spark.objects.create(
            cohort=cohort,
            kind=SparkKind.KNOWLEDGE,
            question=f"On {objective}?",
            objective=objective,
            offset_days=2,
        )
        for objective in OBJECTIVES
    }
    halves = objective_halves(
        seed=study.seed, participants=[(u.email, None) for u in users], objectives=OBJECTIVES
    )
    LiftAssignment.objects.bulk_create(
        LiftAssignment(study=study, participant=u, objective=o, boosted=o in halves[u.email])
        for u in users
        for o in OBJECTIVES
    )
    rng = random.Random(seed)
    deliveries, expected, correct = [], [], []
    for u in users:
        for o in OBJECTIVES:
            boosted = o in halves[u.email]
            right = rng.random() < 0.55 + (lift_points / 100 if boosted else 0)
            sent = end + timedelta(days=30 + rng.randint(0, 55))
            deliveries.append(
                Delivery(
                    spark=sparks[o],
                    participant=u,
                    attempt=PROBE_ATTEMPT,
                    due_at=sent,
                    sent_at=sent,
                    status=DueStatus.DONE,
                    outcome=DeliveryOutcome.ANSWERED,
                )
            )
            correct.append(right)
            expected.append(ProbeAnswer(person=u.pk, objective=o, boosted=boosted, correct=right))
    deliveries = Delivery.objects.bulk_create(deliveries)
    SparkAnswer.objects.bulk_create(
        SparkAnswer(delivery=d, is_correct=right, created_at=d.sent_at + timedelta(hours=1))
        for d, right in zip(deliveries, correct, strict=True)
    )
    return cohort, expected
