"""Prompts: the instructors' timeline, scheduling, editing, cancelling, publishing now."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cohorts.access import CohortAccess
from cohorts.timeline import Anchor
from discussions import access, prompts
from discussions.forms import PromptForm, PromptNewForm
from discussions.models import Prompt, ScheduleError, Thread
from notifications.scheduling import DueStatus

PROMPTS_PER_PAGE = 50
EDITABLE_PROMPT = (DueStatus.PENDING, DueStatus.FAILED)


def _prompt_timeline_page(
    request: HttpRequest, cohort, scope: CohortAccess, *, error: str = "", status: int = 200
) -> HttpResponse:
    threads = Thread.objects.visible().select_related("study_group").order_by("study_group__name")
    scheduled = (
        Prompt.objects.filter(cohort=cohort)
        .select_related("author")
        .prefetch_related(Prefetch("threads", queryset=threads))
        .order_by("due_at", "pk")
    )
    page = Paginator(scheduled, PROMPTS_PER_PAGE).get_page(request.GET.get("page"))
    context = scope.context(cohort, page=page, has_sessions=cohort.sessions.exists(), error=error)
    return render(request, "discussions/prompt_timeline.html", context, status=status)


@login_required
@require_GET
def prompt_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    cohort, scope = access.get_cohort_for(request.user, pk, "teach")
    return _prompt_timeline_page(request, cohort, scope)


def _prompt_saved(form: PromptForm, save) -> Prompt | None:
    """Run `save` if the form is valid; put a refusal on the form and return None."""
    if not form.is_valid():
        return None
    try:
        return save(**form.cleaned_data)
    except ScheduleError as error:
        form.add_error(error.field, str(error))
    except prompts.PromptError as error:
        form.add_error(None, str(error))
    return None


def _prompt_saved_message(request: HttpRequest, prompt: Prompt) -> None:
    if prompt.anchor == Anchor.NOW:
        messages.success(request, f"“{prompt.title}” is being published now.")
        return
    local = timezone.localtime(prompt.due_at, prompt.cohort.tz)
    when = f"{local:%a %-d %b %Y, %H:%M} ({prompt.cohort.time_zone})"
    messages.success(request, f"“{prompt.title}” is scheduled for {when}.")


@login_required
@require_http_methods(["GET", "POST"])
def prompt_new(request: HttpRequest, pk: int) -> HttpResponse:
    cohort, scope = access.get_cohort_for(request.user, pk, "teach")
    # The date and time typed in the form are the cohort's local time.
    with timezone.override(cohort.tz):
        form = PromptNewForm(request.POST if request.method == "POST" else None)

        def create(**data) -> Prompt:
            return prompts.prompt_create(cohort=cohort, author=request.user, **data)

        prompt = _prompt_saved(form, create)
        if prompt is not None:
            _prompt_saved_message(request, prompt)
            return redirect("discussions:prompt_timeline", cohort.pk)
        context = scope.context(cohort, form=form)
        return render(
            request, "discussions/prompt_form.html", context, status=400 if form.errors else 200
        )


def _prompt_initial(prompt: Prompt) -> dict:
    return {
        "kind": prompt.kind,
        "title": prompt.title,
        "url": prompt.url,
        "body": prompt.body,
        "quote": prompt.quote,
        "target": prompt.target,
        "post_first": prompt.post_first,
        "anchor": prompt.anchor,
        "at": prompt.due_at if prompt.anchor == Anchor.AT else None,
        "offset_days": prompt.offset_days if prompt.is_offset else None,
        "release_time": prompt.release_time,
    }


@login_required
@require_http_methods(["GET", "POST"])
def prompt_edit(request: HttpRequest, pk: int, prompt_pk: int) -> HttpResponse:
    prompt, scope = access.get_prompt_for(request.user, pk, prompt_pk)
    with timezone.override(prompt.cohort.tz):
        form = PromptForm(
            request.POST if request.method == "POST" else None, initial=_prompt_initial(prompt)
        )
        saved = _prompt_saved(form, lambda **data: prompts.prompt_update(prompt=prompt, **data))
        if saved is not None:
            _prompt_saved_message(request, saved)
            return redirect("discussions:prompt_timeline", prompt.cohort.pk)
        context = scope.context(
            prompt.cohort, prompt=prompt, form=form, editable=prompt.status in EDITABLE_PROMPT
        )
        return render(
            request, "discussions/prompt_form.html", context, status=400 if form.errors else 200
        )


def _prompt_changed(
    request: HttpRequest, prompt: Prompt, scope: CohortAccess, change, done: str
) -> HttpResponse:
    """Apply a one-click change (cancel, publish now); answer with its row or the timeline."""
    error = ""
    try:
        prompt = change(prompt=prompt)
    except prompts.PromptError as refusal:
        error = str(refusal)
        prompt.refresh_from_db()
    if request.htmx:
        # htmx swaps only 2xx answers: the row comes back with the refusal written in it.
        context = scope.context(prompt.cohort, prompt=prompt, row_error=error)
        return render(request, "discussions/prompt_timeline.html#prompt-row", context)
    if error:
        return _prompt_timeline_page(request, prompt.cohort, scope, error=error, status=400)
    messages.success(request, done.format(title=prompt.title))
    return redirect("discussions:prompt_timeline", prompt.cohort.pk)


@login_required
@require_POST
def prompt_cancel(request: HttpRequest, pk: int, prompt_pk: int) -> HttpResponse:
    prompt, scope = access.get_prompt_for(request.user, pk, prompt_pk)
    return _prompt_changed(
        request,
        prompt,
        scope,
        prompts.prompt_cancel,
        "“{title}” is cancelled; it will not be released.",
    )


@login_required
@require_POST
def prompt_publish(request: HttpRequest, pk: int, prompt_pk: int) -> HttpResponse:
    prompt, scope = access.get_prompt_for(request.user, pk, prompt_pk)
    return _prompt_changed(
        request, prompt, scope, prompts.prompt_publish_now, "“{title}” is being published now."
    )
