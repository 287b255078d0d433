"""The measured lift of sparks: on the cohort dashboard (loaded into it with htmx, and a page of
its own), its CSV for analysts, and the organisation's pooled lift on the managers' dashboard."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from cohorts import access
from insights.access import get_insights_organization_for
from insights.lift import cohort_lift, lift_csv_rows, organization_lift
from insights.lift_stats import MINIMUM_PEOPLE
from socialtraining.csv_download import csv_download
from sparks.lift_design import PROBE_FIRST_DAY, PROBE_LAST_DAY


@login_required
@require_GET
def cohort_lift_page(request: HttpRequest, cohort_pk: int) -> HttpResponse:
    cohort, scope = access.get_cohort_for(request.user, cohort_pk, "teach")
    context = scope.context(
        cohort,
        section="insights",
        lift=cohort_lift(cohort),
        minimum_people=MINIMUM_PEOPLE,
        probe_first_day=PROBE_FIRST_DAY,
        probe_last_day=PROBE_LAST_DAY,
    )
    template = "insights/cohort/lift.html"
    if request.htmx:
        template += "#lift-result"
    return render(request, template, context)


@login_required
@require_GET
def cohort_lift_csv(request: HttpRequest, cohort_pk: int) -> StreamingHttpResponse:
    cohort, _ = access.get_cohort_for(request.user, cohort_pk, "teach")
    filename = f"{slugify(cohort.name)}-lift-per-person-and-objective.csv"
    return csv_download(lift_csv_rows(cohort), filename=filename)


@login_required
@require_GET
def org_lift(request: HttpRequest) -> HttpResponse:
    organization = get_insights_organization_for(request.user, request.GET.get("org"))
    context = {"organization": organization, "lift": organization_lift(organization)}
    template = "insights/org_lift.html"
    if request.htmx:
        template += "#org-lift"
    return render(request, template, context)
