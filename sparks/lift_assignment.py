"""Measure the lift, as the spark planner sees it: the design kept up to date, and the probe.

`sparks_plan` (and "send now") ask `lift_held_out` which (participant, objective) pairs get no
knowledge sparks, and `sparks_plan` asks `lift_probes_due` when each participant's retention
probe asks about each objective; both keep the stored design (`LiftAssignment`) up to date on the
way: it follows the roster until the cohort's first ask is sent, then never changes again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time

from django.db.models import Min

from cohorts.models import Cohort, Enrolment
from cohorts.timeline import Anchor, anchored_moment
from notifications.scheduling import DueStatus
from sparks.lift_design import (
    MINIMUM_OBJECTIVES,
    late_objective_half,
    objective_halves,
    probe_days,
)
from sparks.models import PROBE_ATTEMPT, Delivery, LiftAssignment, LiftStudy, Spark, SparkKind


def lift_objectives(cohort: Cohort) -> list[str]:
    """The cohort's learning objectives a study can cover: those of its knowledge sparks."""
    return sorted(
        set(
            Spark.objects.filter(cohort=cohort, kind=SparkKind.KNOWLEDGE, cancelled_at__isnull=True)
            .exclude(objective="")
            .values_list("objective", flat=True)
        )
    )


def first_ask_sent_at(cohort: Cohort) -> datetime | None:
    """When the cohort's first spark ask went out (its first ask of any spark), or None."""
    return Delivery.objects.filter(spark__cohort=cohort, sent_at__isnull=False).aggregate(
        first=Min("sent_at")
    )["first"]


def _study_of(cohort: Cohort) -> LiftStudy | None:
    return LiftStudy.objects.filter(cohort=cohort).first()


def _design_refresh(study: LiftStudy, people: dict[int, tuple[str, str | None]]) -> dict:
    """Bring the stored design up to date; return {(participant, objective): boosted}.

    Until the first ask is sent the design follows the roster and the objectives (recomputed
    from the seed, rows replaced only when it changed). From then on it is fixed: it records
    when, and only participants without a design yet get a half of their own.
    """
    stored = {
        (a.participant_id, a.objective): a.boosted
        for a in LiftAssignment.objects.filter(study=study)
    }
    if study.fixed_at is None:
        sent_at = first_ask_sent_at(study.cohort)
        if sent_at is not None:
            study.fixed_at = sent_at
            study.save(update_fields=["fixed_at"])
    if study.fixed_at is None:
        objectives = lift_objectives(study.cohort)
        if len(objectives) < MINIMUM_OBJECTIVES:
            # Objectives taken off the sparks since the start: nothing to compare, nobody held out.
            objectives = []
        halves = objective_halves(
            seed=study.seed, participants=list(people.values()), objectives=objectives
        )
        wanted = {
            (user_id, objective): objective in halves[email]
            for user_id, (email, _) in people.items()
            for objective in objectives
        }
        if wanted != stored:
            LiftAssignment.objects.filter(study=study).delete()
            LiftAssignment.objects.bulk_create(
                LiftAssignment(study=study, participant_id=u, objective=o, boosted=b)
                for (u, o), b in wanted.items()
            )
        if objectives != study.objectives:
            study.objectives = objectives
            study.save(update_fields=["objectives"])
        return wanted
    designed = {user_id for user_id, _ in stored}
    late = {
        (user_id, objective): objective in boosted
        for user_id, (email, _) in people.items()
        if user_id not in designed
        for boosted in [
            late_objective_half(seed=study.seed, person=email, objectives=study.objectives)
        ]
        for objective in study.objectives
    }
    LiftAssignment.objects.bulk_create(
        [
            LiftAssignment(study=study, participant_id=u, objective=o, boosted=b)
            for (u, o), b in late.items()
        ],
        ignore_conflicts=True,
    )
    return stored | late


@dataclass(frozen=True)
class LiftPlan:
    """What the planner must respect for a cohort: the pairs held out, and the probe's asks."""

    held_out: frozenset[tuple[int, str]]
    # (participant, spark) -> the day after the workshop its probe ask goes out.
    probes: dict[tuple[int, int], int]

    def holds_out(self, spark: Spark, user_id: int) -> bool:
        return spark.kind == SparkKind.KNOWLEDGE and (user_id, spark.objective) in self.held_out


NO_STUDY = LiftPlan(held_out=frozenset(), probes={})


def lift_plan(*, cohort: Cohort, participants: dict[int, Enrolment]) -> LiftPlan:
    """The cohort's study as the planner needs it (NO_STUDY without one), its design refreshed.

    The probe asks each objective with the objective's first knowledge spark (by day), on the
    day `sparks.lift_design.probe_days` drew for the person.
    """
    study = _study_of(cohort)
    if study is None:
        return NO_STUDY
    study.cohort = cohort
    # The design keys people by address and strata by group name, not by ids (`lift_design`).
    people = {
        user_id: (email, group)
        for user_id, email, group in Enrolment.objects.filter(
            cohort=cohort, user_id__in=list(participants)
        ).values_list("user_id", "user__email", "study_group__name")
    }
    design = _design_refresh(study, people)
    probe_sparks: dict[str, int] = {}
    for spark_id, objective in (
        Spark.objects.filter(
            cohort=cohort,
            kind=SparkKind.KNOWLEDGE,
            cancelled_at__isnull=True,
            objective__in=study.objectives,
        )
        .order_by("offset_days", "pk")
        .values_list("pk", "objective")
    ):
        probe_sparks.setdefault(objective, spark_id)
    probes = {}
    for user_id, (email, _) in people.items():
        days = probe_days(seed=study.seed, person=email, objectives=study.objectives)
        for objective, day in days.items():
            if objective in probe_sparks and (user_id, objective) in design:
                probes[(user_id, probe_sparks[objective])] = day
    return LiftPlan(
        held_out=frozenset(pair for pair, boosted in design.items() if not boosted),
        probes=probes,
    )


def probe_day_start(cohort: Cohort, day: int) -> datetime | None:
    """Midnight of the probe's day after the workshop's last session (None without sessions)."""
    return anchored_moment(cohort, anchor=Anchor.AFTER_LAST, offset_days=day, at=time(0, 0))


def probe_deliveries(
    plan: LiftPlan,
    cohort: Cohort,
    *,
    place: Callable[[datetime, int], datetime],
    now: datetime,
) -> tuple[list[Delivery], list[Delivery]]:
    """The probe asks to create (not yet planned, not already past) and those to move (waiting
    to be sent, when the workshop's dates moved), as `sparks_plan` treats first asks."""
    if not plan.probes:
        return [], []
    existing = {
        (d.participant_id, d.spark_id): d
        for d in Delivery.objects.select_for_update().filter(
            spark__cohort=cohort, attempt=PROBE_ATTEMPT
        )
    }
    created, moved = [], []
    for (user_id, spark_id), day in plan.probes.items():
        start = probe_day_start(cohort, day)
        if start is None:
            continue
        due = place(start, user_id)
        delivery = existing.get((user_id, spark_id))
        if delivery is None:
            if due > now:
                created.append(
                    Delivery(
                        spark_id=spark_id, participant_id=user_id, attempt=PROBE_ATTEMPT, due_at=due
                    )
                )
        elif (
            delivery.status == DueStatus.PENDING
            and delivery.sent_at is None
            and delivery.due_at > now
            and due > now
            and delivery.due_at != due
        ):
            delivery.due_at = due
            moved.append(delivery)
    return created, moved


def lift_designs_fix(*, cohort_ids: Iterable[int], at: datetime) -> None:
    """The cohorts' first asks went out at `at`: their lift designs are fixed from now on (one
    query; a design fixed already keeps its moment)."""
    LiftStudy.objects.filter(cohort_id__in=set(cohort_ids), fixed_at__isnull=True).update(
        fixed_at=at
    )
