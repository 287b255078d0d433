import json
from collections.abc import Iterable, Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods

from cohorts import access
from cohorts.models import Cohort
from xapi.forms import LrsConfigForm
from xapi.models import LrsConfig
from xapi.services import lrs_config_save, lrs_pending_count
from xapi.statements import statements_iter

COHORTS_PAGE_SIZE = 50


def _json_array(statements: Iterable[dict]) -> Iterator[str]:
    yield "["
    separator = "\n"
    for statement in statements:
        yield separator + json.dumps(statement, ensure_ascii=False)
        separator = ",\n"
    yield "\n]\n"


def _download(statements: Iterable[dict], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        _json_array(statements), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def cohort_statements(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    cohort, _ = access.get_cohort_for(request.user, pk, "teach")
    filename = f"xapi-{slugify(cohort.name)}-{cohort.pk}.json"
    return _download(statements_iter(cohort_id=cohort.pk), filename)


@login_required
@require_GET
def organization_statements(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    organization = access.get_organization_for(request.user, slug)
    return _download(
        statements_iter(organization_id=organization.pk), f"xapi-{organization.slug}.json"
    )


@login_required
@require_http_methods(["GET", "POST"])
def organization_exports(request: HttpRequest, slug: str) -> HttpResponse:
    """Exports and the LRS settings of an organisation (its managers only)."""
    organization = access.get_organization_for(request.user, slug)
    config = LrsConfig.objects.filter(organization=organization).first()
    initial = {"enabled": True}
    if config is not None:
        initial = {
            "endpoint": config.endpoint,
            "username": config.username,
            "enabled": config.enabled,
        }
    form = LrsConfigForm(
        request.POST or None, initial=initial, has_secret=bool(config and config.secret)
    )
    if request.method == "POST" and form.is_valid():
        lrs_config_save(organization=organization, **form.cleaned_data)
        messages.success(request, "LRS settings saved.")
        return redirect("xapi:organization_exports", slug=organization.slug)
    cohorts = Paginator(
        Cohort.objects.filter(organization=organization).order_by("name", "pk"),
        COHORTS_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    context = {
        "organization": organization,
        "config": config,
        "pending": lrs_pending_count(organization=organization) if config else None,
        "form": form,
        "cohorts": cohorts,
    }
    return render(
        request, "xapi/organization_exports.html", context, status=400 if form.errors else 200
    )
