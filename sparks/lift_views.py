"""The instructors' "measure the lift" page of a cohort: turn it on before the first spark, see
the design (who is boosted on what, when the probe comes), turn it off while nothing was sent.

Reached through cohorts.access with the `teach` action; participants never see it (404).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Min
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from cohorts.access import get_cohort_for
from cohorts.models import Cohort, CohortRole
from sparks.lift_assignment import first_ask_sent_at, lift_objectives
from sparks.lift_design import MINIMUM_OBJECTIVES, PROBE_FIRST_DAY, PROBE_LAST_DAY
from sparks.lift_study import LiftRefused, lift_study_start, lift_study_stop
from sparks.models import PROBE_ATTEMPT, Delivery, LiftAssignment, LiftStudy

PEOPLE_PER_PAGE = 50


def _design_page(request: HttpRequest, cohort: Cohort, study: LiftStudy):
    """A page of participants with their boosted and held-out objectives and their probe."""
    enrolments = (
        cohort.enrolments.filter(role=CohortRole.PARTICIPANT)
        .select_related("user", "study_group")
        .order_by("user__display_name", "user__email", "pk")
    )
    page = Paginator(enrolments, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    ids = [e.user_id for e in page.object_list]
    sides: dict[int, dict[bool, list[str]]] = {}
    for participant_id, objective, boosted in (
        LiftAssignment.objects.filter(study=study, participant_id__in=ids)
        .order_by("objective")
        .values_list("participant_id", "objective", "boosted")
    ):
        sides.setdefault(participant_id, {True: [], False: []})[boosted].append(objective)
    probes = dict(
        Delivery.objects.filter(spark__cohort=cohort, attempt=PROBE_ATTEMPT, participant_id__in=ids)
        .values("participant_id")
        .annotate(first=Min("due_at"))
        .values_list("participant_id", "first")
    )
    for enrolment in page.object_list:
        own = sides.get(enrolment.user_id, {True: [], False: []})
        enrolment.boosted, enrolment.held_out = own[True], own[False]
        enrolment.probe_at = probes.get(enrolment.user_id)
    return page


@login_required
@require_GET
def lift(request: HttpRequest, pk: int) -> HttpResponse:
    cohort, access = get_cohort_for(request.user, pk, "teach")
    study = LiftStudy.objects.filter(cohort=cohort).first()
    sent_at = first_ask_sent_at(cohort)
    context = access.context(
        cohort,
        study=study,
        first_sent_at=sent_at,
        probe_first_day=PROBE_FIRST_DAY,
        probe_last_day=PROBE_LAST_DAY,
    )
    if study is None:
        objectives = lift_objectives(cohort)
        context |= {
            "objectives": objectives,
            "can_start": sent_at is None and len(objectives) >= MINIMUM_OBJECTIVES,
            "minimum_objectives": MINIMUM_OBJECTIVES,
        }
    else:
        context["page"] = _design_page(request, cohort, study)
    return render(request, "sparks/lift.html", context)


@login_required
@require_POST
def lift_start(request: HttpRequest, pk: int) -> HttpResponse:
    cohort, _ = get_cohort_for(request.user, pk, "teach")
    try:
        study = lift_study_start(cohort=cohort, user=request.user)
    except LiftRefused as refusal:
        messages.error(request, str(refusal))
    else:
        count = len(study.objectives)
        messages.success(
            request,
            f"The lift is measured: each participant is boosted on half of the {count} learning "
            "objectives and held out on the others.",
        )
    return redirect("sparks:lift", cohort.pk)


@login_required
@require_POST
def lift_stop(request: HttpRequest, pk: int) -> HttpResponse:
    cohort, _ = get_cohort_for(request.user, pk, "teach")
    try:
        lift_study_stop(cohort=cohort)
    except LiftRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, "The lift is no longer measured: everyone gets every spark.")
    return redirect("sparks:lift", cohort.pk)
