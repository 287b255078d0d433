"""Turning "measure the lift" on and off (instructors, before the cohort's first spark)."""

from __future__ import annotations

import secrets

from django.db import transaction

from accounts.models import User
from cohorts.models import Cohort
from sparks.lift_assignment import first_ask_sent_at, lift_objectives
from sparks.lift_design import MINIMUM_OBJECTIVES
from sparks.models import PROBE_ATTEMPT, Delivery, LiftStudy
from sparks.planning import sparks_plan


class LiftRefused(Exception):
    """The study cannot start or stop now, for a reason the instructor should read."""


@transaction.atomic
def lift_study_start(*, cohort: Cohort, user: User, seed: str | None = None) -> LiftStudy:
    """Turn "measure the lift" on, before the cohort's first spark goes out.

    The seed is drawn at random unless given (the demo gives its own, so it seeds the same story).

    Knowledge sparks already planned on a held-out objective are cancelled for that person by the
    re-plan (`sparks_plan`), which also plans the retention probe.
    """
    # The cohort's row lock: two instructors pressing the button at once make one study.
    Cohort.objects.select_for_update().filter(pk=cohort.pk).first()
    if LiftStudy.objects.filter(cohort=cohort).exists():
        raise LiftRefused("The lift is already being measured in this cohort.")
    if first_ask_sent_at(cohort) is not None:
        raise LiftRefused(
            "Sparks have already gone out in this cohort, so a fair comparison can no longer be "
            "set up: the lift must be turned on before the first spark is sent."
        )
    objectives = lift_objectives(cohort)
    if len(objectives) < MINIMUM_OBJECTIVES:
        raise LiftRefused(
            "Measuring the lift needs knowledge sparks on at least two learning objectives "
            "(set the learning objective of each knowledge spark), so each participant can be "
            "boosted on some and not on others."
        )
    study = LiftStudy.objects.create(
        cohort=cohort,
        seed=seed or secrets.token_hex(16),
        objectives=objectives,
        started_by=user,
    )
    sparks_plan(cohort=cohort)
    return study


@transaction.atomic
def lift_study_stop(*, cohort: Cohort) -> None:
    """Turn the study off while nothing has been sent: every participant gets every spark."""
    study = LiftStudy.objects.select_for_update().filter(cohort=cohort).first()
    if study is None:
        return
    if first_ask_sent_at(cohort) is not None:
        raise LiftRefused(
            "The first spark has gone out, so the design is fixed: stopping now would spoil the "
            "comparison for the people already in it."
        )
    # Probes planned for the study go with it; held-out sparks come back with the re-plan.
    Delivery.objects.filter(
        spark__cohort=cohort, attempt=PROBE_ATTEMPT, sent_at__isnull=True
    ).delete()
    study.delete()
    sparks_plan(cohort=cohort)
