import json
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cohorts.access import get_cohort_for, get_organization_for
from cohorts.models import Cohort
from xapi.forms import LrsEndpointForm
from xapi.models import LrsEndpoint
from xapi.services import lrs_endpoint_save, lrs_pending_count
from xapi.statements import statements_all
from xapi.tasks import push_to_lrs


def _json_array(statements: Iterator[dict]) -> Iterator[str]:
    yield "["
    for n, statement in enumerate(statements):
        yield ("," if n else "") + "\n" + json.dumps(statement, ensure_ascii=False)
    yield "\n]\n"


def _statements_download(cohorts: QuerySet[Cohort], name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        _json_array(statements_all(cohorts=cohorts)), content_type="application/json"
    )
    filename = f"{slugify(name)}-xapi-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def cohort_statements(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    cohort = get_cohort_for(request.user, pk, "teach")
    return _statements_download(Cohort.objects.filter(pk=cohort.pk), cohort.name)


@login_required
@require_GET
def organization_statements(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    organization = get_organization_for(request.user, slug)
    return _statements_download(Cohort.objects.filter(organization=organization), organization.name)


def _push_soon(endpoint: LrsEndpoint) -> None:
    if endpoint.enabled:
        transaction.on_commit(lambda: push_to_lrs.delay(endpoint.pk), robust=True)


@login_required
@require_http_methods(["GET", "POST"])
def exports(request: HttpRequest, slug: str) -> HttpResponse:
    """Downloads of the organisation's xAPI statements, and its Learning Record Store."""
    organization = get_organization_for(request.user, slug)
    endpoint = LrsEndpoint.objects.filter(organization=organization).first()
    initial = {"enabled": True}
    if endpoint is not None:
        initial = {"url": endpoint.url, "username": endpoint.username, "enabled": endpoint.enabled}
    form = LrsEndpointForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        has_password=bool(endpoint and endpoint.password),
    )
    if form.is_valid():
        with transaction.atomic():
            endpoint = lrs_endpoint_save(organization=organization, **form.cleaned_data)
            _push_soon(endpoint)
        state = "on" if endpoint.enabled else "off"
        messages.success(request, f"Learning Record Store saved; pushing is {state}.")
        return redirect("xapi:exports", slug)
    context = {
        "organization": organization,
        "form": form,
        "endpoint": endpoint,
        "pending": lrs_pending_count(endpoint=endpoint) if endpoint else None,
        "cohorts": Cohort.objects.filter(organization=organization).order_by("name"),
    }
    return render(request, "xapi/exports.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def lrs_retry(request: HttpRequest, slug: str) -> HttpResponse:
    """After fixing what the LRS refused: clear the halt and push again now."""
    organization = get_organization_for(request.user, slug)
    endpoint = LrsEndpoint.objects.filter(organization=organization).first()
    if endpoint is None:
        messages.error(request, "No Learning Record Store is set up yet.")
        return redirect("xapi:exports", slug)
    with transaction.atomic():
        LrsEndpoint.objects.filter(pk=endpoint.pk).update(halted_at=None)
        endpoint.halted_at = None
        _push_soon(endpoint)
    messages.success(request, "Pushing again: the statements not yet accepted go out now.")
    return redirect("xapi:exports", slug)
