"""The measured lift of sparks, read from the database: per cohort, pooled per organisation, and
per person and objective for analysts. The statistics themselves are in `insights.lift_stats`.

A probe answer counts when its participant has a design row for the probe's objective (the
`LiftAssignment` saying boosted or held out); each read is one query whatever the cohort's size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery

from accounts.models import Organization
from cohorts.models import Cohort
from insights.lift_stats import (
    LiftEstimate,
    NotEnoughAnswers,
    PooledLift,
    ProbeAnswer,
    lift_sentence,
    paired_lift,
    pooled_lift,
)
from sparks.models import PROBE_ATTEMPT, Delivery, DeliveryOutcome, LiftAssignment, LiftStudy


def lift_probe_answers(deliveries) -> Iterator[tuple[int, ProbeAnswer]]:
    """(cohort id, answer) for the answered probes among `deliveries`, with the design's side."""
    boosted = LiftAssignment.objects.filter(
        study__cohort_id=OuterRef("spark__cohort_id"),
        participant_id=OuterRef("participant_id"),
        objective=OuterRef("spark__objective"),
    ).values("boosted")[:1]
    rows = (
        # An answer without a score says nothing of right or wrong: it is not counted as wrong.
        deliveries.filter(
            attempt=PROBE_ATTEMPT,
            outcome=DeliveryOutcome.ANSWERED,
            answer__is_correct__isnull=False,
        )
        .annotate(boosted=Subquery(boosted))
        .filter(boosted__isnull=False)
        .values_list(
            "spark__cohort_id",
            "participant_id",
            "spark__objective",
            "boosted",
            "answer__is_correct",
        )
    )
    for cohort_id, participant_id, objective, is_boosted, correct in rows:
        yield (
            cohort_id,
            ProbeAnswer(
                person=participant_id,
                objective=objective,
                boosted=is_boosted,
                correct=correct,
            ),
        )


@dataclass(frozen=True)
class CohortLift:
    study: LiftStudy | None
    estimate: LiftEstimate | NotEnoughAnswers | None
    sentence: str

    @property
    def measured(self) -> bool:
        return self.study is not None

    @property
    def enough(self) -> bool:
        return isinstance(self.estimate, LiftEstimate)


def cohort_lift(cohort: Cohort) -> CohortLift:
    """The cohort's lift so far (two queries: the study, then its probe answers)."""
    study = LiftStudy.objects.filter(cohort=cohort).first()
    if study is None:
        return CohortLift(study=None, estimate=None, sentence="")
    answers = [a for _, a in lift_probe_answers(Delivery.objects.filter(spark__cohort=cohort))]
    estimate = paired_lift(answers)
    return CohortLift(study=study, estimate=estimate, sentence=lift_sentence(estimate))


@dataclass(frozen=True)
class OrganizationLift:
    cohorts_measured: int
    # Cohorts with enough answers for an interval, each with its estimate, by cohort name.
    estimates: list[tuple[Cohort, LiftEstimate]]
    pooled: PooledLift | None
    sentence: str


def organization_lift(organization: Organization) -> OrganizationLift:
    """Every measured cohort's lift, pooled by random effects (two queries)."""
    studies = {
        s.cohort_id: s
        for s in LiftStudy.objects.filter(cohort__organization=organization).select_related(
            "cohort"
        )
    }
    by_cohort: dict[int, list[ProbeAnswer]] = defaultdict(list)
    if studies:
        deliveries = Delivery.objects.filter(spark__cohort_id__in=list(studies))
        for cohort_id, answer in lift_probe_answers(deliveries):
            by_cohort[cohort_id].append(answer)
    estimates = []
    for cohort_id, study in sorted(studies.items(), key=lambda item: item[1].cohort.name):
        estimate = paired_lift(by_cohort[cohort_id])
        if isinstance(estimate, LiftEstimate):
            estimates.append((study.cohort, estimate))
    pooled = pooled_lift(e for _, e in estimates)
    return OrganizationLift(
        cohorts_measured=len(studies),
        estimates=estimates,
        pooled=pooled,
        sentence=lift_sentence(pooled) if studies else "",
    )


LIFT_CSV_HEADER = [
    "participant",
    "email",
    "study group",
    "objective",
    "side",
    "knowledge sparks answered",
    "probe sent at",
    "probe answered at",
    "probe correct",
]


def lift_csv_rows(cohort: Cohort) -> Iterator[list]:
    """One row per participant and objective of the design: the side, the sparks they answered
    on it, and the probe's outcome (csv_download makes the text cells safe for spreadsheets)."""
    yield LIFT_CSV_HEADER
    study = LiftStudy.objects.filter(cohort=cohort).first()
    if study is None:
        return
    practice: dict[tuple[int, str], int] = defaultdict(int)
    probes: dict[tuple[int, str], Delivery] = {}
    for delivery in (
        Delivery.objects.filter(spark__cohort=cohort)
        .exclude(spark__objective="")
        .select_related("spark", "answer")
        .only(
            "participant_id",
            "attempt",
            "outcome",
            "sent_at",
            "spark__objective",
            "answer__created_at",
            "answer__is_correct",
        )
        .order_by("pk")
    ):
        key = (delivery.participant_id, delivery.spark.objective)
        if delivery.attempt == PROBE_ATTEMPT:
            probes[key] = delivery
        elif delivery.outcome == DeliveryOutcome.ANSWERED:
            practice[key] += 1
    assignments = (
        LiftAssignment.objects.filter(study=study)
        .select_related("participant")
        .order_by("participant__display_name", "participant__email", "objective")
    )
    groups = dict(
        cohort.enrolments.filter(study_group__isnull=False).values_list(
            "user_id", "study_group__name"
        )
    )
    for row in assignments:
        key = (row.participant_id, row.objective)
        probe = probes.get(key)
        answer = getattr(probe, "answer", None) if probe else None
        yield [
            row.participant.name,
            row.participant.email,
            groups.get(row.participant_id, ""),
            row.objective,
            "boosted" if row.boosted else "held out",
            practice.get(key, 0),
            probe.sent_at.isoformat() if probe and probe.sent_at else "",
            answer.created_at.isoformat() if answer else "",
            "" if answer is None else ("yes" if answer.is_correct else "no"),
        ]
