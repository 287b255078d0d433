"""The cohort dashboard: for the organisation's managers and the cohort's instructors."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from coaching.selectors import observed_behaviour
from cohorts import access
from cohorts.access import CohortAccess
from cohorts.models import Cohort, CohortRole, Enrolment
from insights.charts import chart_csv
from insights.cohort.charts import CHARTS
from insights.cohort.exports import participant_activity_rows
from insights.cohort.forms import NudgeForm, QuietDaysForm
from insights.cohort.metrics import CohortMetrics
from insights.cohort.services import nudge_message_default, participants_nudge
from insights.cohort.timeline import participant_timeline
from socialtraining import clock
from socialtraining.csv_download import csv_download
from surveys.results import ANONYMOUS_MINIMUM

PARTICIPANTS_PER_PAGE = 50
# The at-risk list is a form: beyond this many rows, the participant CSV is the better tool.
AT_RISK_SHOWN = 100


def _metrics(request: HttpRequest, cohort: Cohort) -> tuple[CohortMetrics, QuietDaysForm]:
    quiet = QuietDaysForm(request.GET if "days" in request.GET else None)
    metrics = CohortMetrics(cohort, now=clock.now(), quiet_days=quiet.days_or_default())
    return metrics, quiet


def _dashboard(
    request: HttpRequest,
    cohort: Cohort,
    scope: CohortAccess,
    *,
    nudge_form: NudgeForm | None = None,
    status=200,
) -> HttpResponse:
    metrics, quiet = _metrics(request, cohort)
    selected = set(nudge_form.data.getlist("people")) if nudge_form else set()
    context = scope.context(
        cohort,
        section="insights",
        metrics=metrics,
        quiet=quiet,
        charts={name: build(metrics) for name, build in CHARTS.items()},
        nudge_form=nudge_form,
        nudge_message=nudge_form.data.get("message", "")
        if nudge_form
        else nudge_message_default(sender=request.user),
        nudge_id=uuid.uuid4().hex,
        selected={int(pk) for pk in selected if pk.isdigit()},
        page=Paginator(metrics.participants, PARTICIPANTS_PER_PAGE).get_page(
            request.GET.get("page")
        ),
        at_risk=metrics.at_risk[:AT_RISK_SHOWN],
        minimum=ANONYMOUS_MINIMUM,
        observed=observed_behaviour(cohort),
    )
    return render(request, "insights/cohort/dashboard.html", context, status=status)


@login_required
@require_GET
def cohort_dashboard(request: HttpRequest, cohort_pk: int) -> HttpResponse:
    return _dashboard(request, *access.get_cohort_for(request.user, cohort_pk, "teach"))


@login_required
@require_GET
def cohort_chart_csv(request: HttpRequest, cohort_pk: int, chart_id: str) -> StreamingHttpResponse:
    cohort, _ = access.get_cohort_for(request.user, cohort_pk, "teach")
    build = CHARTS.get(chart_id)
    if build is None:
        raise Http404("No such chart.")
    metrics, _ = _metrics(request, cohort)
    return chart_csv(build(metrics), name=cohort.name)


@login_required
@require_GET
def cohort_participants_csv(request: HttpRequest, cohort_pk: int) -> StreamingHttpResponse:
    cohort, _ = access.get_cohort_for(request.user, cohort_pk, "teach")
    metrics, _ = _metrics(request, cohort)
    filename = f"{slugify(cohort.name)}-participant-activity.csv"
    return csv_download(participant_activity_rows(metrics), filename=filename)


@login_required
@require_POST
def cohort_nudge(request: HttpRequest, cohort_pk: int) -> HttpResponse:
    cohort, scope = access.get_cohort_for(request.user, cohort_pk, "teach")
    participants = {
        e.user_id: e.user
        for e in Enrolment.objects.filter(
            cohort=cohort, role=CohortRole.PARTICIPANT
        ).select_related("user")
    }
    form = NudgeForm(request.POST, participant_ids=list(participants))
    if not form.is_valid():
        return _dashboard(request, cohort, scope, nudge_form=form, status=400)
    chosen = [participants[pk] for pk in form.cleaned_data["people"]]
    nudged = participants_nudge(
        cohort=cohort,
        sender=request.user,
        participants=chosen,
        nudge_id=form.cleaned_data["nudge_id"],
        message=form.cleaned_data["message"],
    )
    at = timezone.localtime(clock.now(), cohort.tz)
    if nudged:
        names = ", ".join(p.name for p in nudged)
        messages.success(request, f"Nudged {names} at {at:%H:%M} on {at:%-d %b %Y}.")
    else:
        messages.info(request, "This nudge was already sent to everyone selected: nothing sent.")
    return redirect(reverse("insights:cohort_dashboard", args=[cohort.pk]) + "#at-risk")


def _participant(
    request: HttpRequest, cohort_pk: int, enrolment_pk: int
) -> tuple[Enrolment, CohortAccess]:
    enrolment, scope = access.get_enrolment_for(request.user, cohort_pk, enrolment_pk, "teach")
    if enrolment.role != CohortRole.PARTICIPANT:
        raise Http404("No such participant.")
    return enrolment, scope


@login_required
@require_GET
def cohort_participant(request: HttpRequest, cohort_pk: int, enrolment_pk: int) -> HttpResponse:
    enrolment, scope = _participant(request, cohort_pk, enrolment_pk)
    cohort = enrolment.cohort
    timeline = participant_timeline(
        cohort, enrolment.user, now=clock.now(), enrolment_pk=enrolment.pk
    )
    context = scope.context(
        cohort,
        section="insights",
        enrolment=enrolment,
        person=enrolment.user,
        timeline=timeline,
        now=timeline.scores.fresh_at,
    )
    return render(request, "insights/cohort/participant.html", context)


@login_required
@require_GET
def cohort_participant_scores_csv(
    request: HttpRequest, cohort_pk: int, enrolment_pk: int
) -> StreamingHttpResponse:
    enrolment, _ = _participant(request, cohort_pk, enrolment_pk)
    timeline = participant_timeline(
        enrolment.cohort, enrolment.user, now=clock.now(), enrolment_pk=enrolment.pk
    )
    return chart_csv(timeline.scores, name=f"{enrolment.cohort.name} {enrolment.user.name}")
