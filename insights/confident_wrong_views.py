"""Confident-and-wrong alerts of a cohort: the list, one alert with its answer distribution, and
the one-click start of a thread about it (instructors and managers: `teach`)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from cohorts import access
from cohorts.access import CohortAccess
from insights.confident_wrong import (
    SURE_CONFIDENCE,
    alert_distribution,
    alerts_for,
    confident_wrong_thread_start,
)
from insights.models import ConfidentWrongAlert


def get_alert_for(user, cohort_pk: int, pk: int) -> tuple[ConfidentWrongAlert, CohortAccess]:
    cohort, scope = access.get_cohort_for(user, cohort_pk, "teach")
    alert = alerts_for(cohort).filter(pk=pk).first()
    if alert is None:
        raise Http404("No such alert.")
    alert.cohort = cohort
    return alert, scope


@login_required
@require_GET
def confident_wrong_list(request: HttpRequest, cohort_pk: int) -> HttpResponse:
    cohort, scope = access.get_cohort_for(request.user, cohort_pk, "teach")
    context = scope.context(cohort, section="insights", alerts=list(alerts_for(cohort)[:100]))
    return render(request, "insights/cohort/confident_wrong_list.html", context)


@login_required
@require_GET
def confident_wrong(request: HttpRequest, cohort_pk: int, pk: int) -> HttpResponse:
    alert, scope = get_alert_for(request.user, cohort_pk, pk)
    context = scope.context(
        alert.cohort,
        section="insights",
        alert=alert,
        distribution=alert_distribution(alert),
        sure_confidence=SURE_CONFIDENCE,
    )
    return render(request, "insights/cohort/confident_wrong.html", context)


@login_required
@require_POST
def confident_wrong_thread(request: HttpRequest, cohort_pk: int, pk: int) -> HttpResponse:
    alert, _ = get_alert_for(request.user, cohort_pk, pk)
    thread = confident_wrong_thread_start(alert=alert, author=request.user)
    return redirect("discussions:thread", thread.cohort_id, thread.pk)
