from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from accounts.models import Organization
from insights import dashboard
from insights.access import get_insights_organization_for, get_rollups_for
from insights.charts import chart_csv
from insights.forms import CohortFilterForm, CompareForm
from insights.models import CohortRollup
from socialtraining.csv_download import csv_download

COHORTS_PER_PAGE = 25


def _query(params: QueryDict, **changes: str | None) -> str:
    """The current query string with `changes` (None removes a key)."""
    query = params.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None:
            query[key] = value
    return query.urlencode()


def _filtered(
    request: HttpRequest,
) -> tuple[Organization, CohortFilterForm, QuerySet[CohortRollup]]:
    """The organisation, the validated filters and the rows they select (invalid ones ignored)."""
    organization = get_insights_organization_for(request.user, request.GET.get("org"))
    form = CohortFilterForm(request.GET, instructors=dashboard.instructors_of(organization))
    form.is_valid()
    rollups = dashboard.rollups_filtered(organization, form.cleaned_data, form.sort_key)
    return organization, form, rollups


def _sort_columns(params: QueryDict, current: str) -> list[dict]:
    columns = []
    for key, label in dashboard.COLUMNS:
        direction = "ascending" if current == key else "descending" if current == f"-{key}" else ""
        # A click sorts a column descending first; a second click flips it.
        next_sort = key if current == f"-{key}" else f"-{key}"
        query = _query(params, sort=next_sort, page=None)
        columns.append({"label": label, "direction": direction, "query": query})
    return columns


@login_required
@require_GET
def org_dashboard(request: HttpRequest) -> HttpResponse:
    """The organisation's cohorts at a glance: headline, charts, then the sortable table."""
    organization, form, rollups = _filtered(request)
    page = Paginator(dashboard.with_instructors(rollups), COHORTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    shown = list(page.object_list)
    chart_query = _query(request.GET, page=str(page.number))
    context = {
        "organization": organization,
        "form": form,
        "page": page,
        "rollups": shown,
        "columns": _sort_columns(request.GET, form.sort_key),
        "headline": dashboard.headline_for(organization),
        "knowledge_chart": dashboard.knowledge_chart(
            shown, csv_url=reverse("insights:chart_csv", args=["knowledge"]) + f"?{chart_query}"
        ),
        "retention_chart": dashboard.retention_chart(
            organization,
            csv_url=reverse("insights:chart_csv", args=["retention"]) + f"?{chart_query}",
        ),
        "query": _query(request.GET, page=None),
        "previous_query": page.has_previous()
        and _query(request.GET, page=str(page.previous_page_number())),
        "next_query": page.has_next() and _query(request.GET, page=str(page.next_page_number())),
        "org_query": _query(request.GET, org=None, page=None),
    }
    template = "insights/org_dashboard.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


@login_required
@require_GET
def cohort_metrics_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The cohort table as CSV: every row the filters show, not just one page."""
    organization, _, rollups = _filtered(request)
    return csv_download(
        dashboard.csv_rows(rollups), filename=f"{slugify(organization.slug)}-cohort-metrics.csv"
    )


@login_required
@require_GET
def chart_numbers_csv(request: HttpRequest, chart_id: str) -> StreamingHttpResponse:
    """The numbers of one dashboard chart, as drawn for the same filters and page."""
    if chart_id not in ("knowledge", "retention"):
        raise Http404("No such chart.")
    organization, _, rollups = _filtered(request)
    if chart_id == "knowledge":
        page = Paginator(rollups, COHORTS_PER_PAGE).get_page(request.GET.get("page"))
        chart = dashboard.knowledge_chart(list(page.object_list))
    else:
        compared = []
        if request.GET.getlist("cohort"):
            form = CompareForm(request.GET)
            compared = (
                get_rollups_for(organization, form.cleaned_data["cohort"])
                if form.is_valid()
                else []
            )
        chart = dashboard.retention_chart(organization, compared)
    return chart_csv(chart, name=organization.slug)


@login_required
@require_GET
def compare(request: HttpRequest) -> HttpResponse:
    """Two to four cohorts side by side: their numbers and their retention curves."""
    organization = get_insights_organization_for(request.user, request.GET.get("org"))
    form = CompareForm(request.GET)
    if not form.is_valid():
        context = {
            "organization": organization,
            "form": form,
            "back_query": _query(request.GET, cohort=None),
        }
        return render(request, "insights/compare.html", context, status=400)
    rollups = get_rollups_for(organization, form.cleaned_data["cohort"])
    context = {
        "organization": organization,
        "form": form,
        "rollups": rollups,
        "metrics": [
            (label, unit, [getattr(r, attr) for r in rollups])
            for label, attr, unit in dashboard.METRICS
        ],
        "refreshed_at": min(r.refreshed_at for r in rollups),
        "retention_chart": dashboard.retention_chart(
            organization,
            rollups,
            csv_url=reverse("insights:chart_csv", args=["retention"])
            + f"?{request.GET.urlencode()}",
        ),
        "back_query": _query(request.GET, cohort=None),
    }
    return render(request, "insights/compare.html", context)
