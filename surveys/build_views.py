"""Building surveys and scheduling their rounds: the instructors' pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from cohorts.access import CohortAccess, get_cohort_for
from cohorts.models import Cohort, CohortRole
from surveys import access, building, rounds
from surveys.forms import (
    ROUND_PRESETS,
    START_COPY,
    ChoiceFormSet,
    QuestionForm,
    RoundForm,
    SurveySettingsForm,
    SurveyStartForm,
    round_initial,
    survey_settings_initial,
)
from surveys.models import Question, QuestionKind, ResponseStatus, Round, RoundStatus, Survey
from surveys.starters import STARTERS


def _survey_questions(survey: Survey) -> list[Question]:
    return list(survey.questions.prefetch_related("choices"))


@login_required
@require_GET
def survey_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The cohort's surveys and their rounds, with how many have answered each."""
    cohort, scope = get_cohort_for(request.user, pk, "teach")
    answered_rounds = Round.objects.annotate(
        submitted=Count("responses", filter=Q(responses__status=ResponseStatus.SUBMITTED))
    ).order_by("opens_at", "pk")
    surveys = cohort.surveys.annotate(question_count=Count("questions")).prefetch_related(
        Prefetch("rounds", queryset=answered_rounds)
    )
    participants = cohort.enrolments.filter(role=CohortRole.PARTICIPANT).count()
    context = scope.context(cohort, surveys=list(surveys), participants=participants)
    return render(request, "surveys/survey_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def survey_create(request: HttpRequest, pk: int) -> HttpResponse:
    cohort, scope = get_cohort_for(request.user, pk, "teach")
    form = SurveyStartForm(
        request.POST if request.method == "POST" else None,
        copyable=access.surveys_to_copy_for(request.user),
    )
    if form.is_valid():
        survey = _survey_start(request, cohort, form.cleaned_data)
        messages.success(request, f"Survey “{survey.title}” created. Adapt its questions below.")
        return redirect("surveys:build", cohort.pk, survey.pk)
    context = scope.context(cohort, form=form, starters=STARTERS.values())
    return render(request, "surveys/survey_new.html", context, status=400 if form.errors else 200)


def _survey_start(request: HttpRequest, cohort: Cohort, data: dict) -> Survey:
    start, title = data["start"], data["title"]
    if start == START_COPY:
        survey = building.survey_copy(
            survey=data["copy_from"], cohort=cohort, user=request.user, as_new_version=False
        )
        if title:
            survey.title = title
            survey.save(update_fields=["title"])
        return survey
    starter = STARTERS.get(start)
    return building.survey_create(
        cohort=cohort,
        user=request.user,
        title=(title or starter.title) if starter else title,
        purpose=starter.purpose if starter else data["purpose"],
        starter=starter,
    )


@login_required
@require_GET
def survey_build(request: HttpRequest, pk: int, survey_pk: int) -> HttpResponse:
    survey, scope = access.get_survey_for(request.user, pk, survey_pk)
    context = scope.context(
        survey.cohort,
        survey=survey,
        questions=_survey_questions(survey),
        locked=building.survey_has_answers(survey),
        rounds=list(survey.rounds.all()),
        kinds=QuestionKind.choices,
    )
    return render(request, "surveys/survey_build.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def survey_settings(request: HttpRequest, pk: int, survey_pk: int) -> HttpResponse:
    survey, scope = access.get_survey_for(request.user, pk, survey_pk)
    form = SurveySettingsForm(
        request.POST if request.method == "POST" else None,
        initial=survey_settings_initial(survey),
    )
    if form.is_valid():
        try:
            building.survey_update(survey=survey, **form.cleaned_data)
        except rounds.RoundError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, "Survey settings saved.")
            return redirect("surveys:build", pk, survey.pk)
    context = scope.context(survey.cohort, survey=survey, form=form)
    status = 400 if form.errors else 200
    return render(request, "surveys/survey_settings.html", context, status=status)


@login_required
@require_GET
def survey_preview(request: HttpRequest, pk: int, survey_pk: int) -> HttpResponse:
    """The survey exactly as a participant sees it, with the partial the answer form uses."""
    survey, _ = access.get_survey_for(request.user, pk, survey_pk)
    context = {"cohort": survey.cohort, "survey": survey, "questions": _survey_questions(survey)}
    return render(request, "surveys/survey_preview.html", context)


@login_required
@require_POST
def survey_new_version(request: HttpRequest, pk: int, survey_pk: int) -> HttpResponse:
    survey, _ = access.get_survey_for(request.user, pk, survey_pk)
    if not building.survey_has_answers(survey):
        messages.info(request, "Nobody has answered this survey yet: change it directly.")
        return redirect("surveys:build", pk, survey.pk)
    copy = building.survey_copy(
        survey=survey, cohort=survey.cohort, user=request.user, as_new_version=True
    )
    moved = copy.rounds.count()
    messages.success(
        request,
        f"Version {copy.version} created. {moved} round{pluralize(moved)} that had not opened "
        f"moved to it; answers already given stay with version {survey.version}.",
    )
    return redirect("surveys:build", pk, copy.pk)


@login_required
@require_http_methods(["GET", "POST"])
def question_create(request: HttpRequest, pk: int, survey_pk: int) -> HttpResponse:
    survey, scope = access.get_survey_for(request.user, pk, survey_pk)
    kind = request.GET.get("kind", "")
    if kind not in QuestionKind.values:
        context = scope.context(survey.cohort, survey=survey, kinds=QuestionKind.choices)
        status = 400 if kind or request.method == "POST" else 200
        return render(request, "surveys/question_kinds.html", context, status=status)
    return _question_form(request, survey, scope, kind=kind, question=None)


@login_required
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, pk: int, survey_pk: int, question_pk: int) -> HttpResponse:
    question, scope = access.get_question_for(request.user, pk, survey_pk, question_pk)
    return _question_form(request, question.survey, scope, kind=question.kind, question=question)


def _question_form(
    request: HttpRequest,
    survey: Survey,
    scope: CohortAccess,
    *,
    kind: str,
    question: Question | None,
) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    initial, choices_initial = {}, []
    if question is not None:
        initial = {name: getattr(question, name) for name in building.QUESTION_FIELDS}
        choices_initial = [
            {"text": c.text, "is_correct": c.is_correct} for c in question.choices.all()
        ]
    form = QuestionForm(data, kind=kind, initial=initial)
    choices = ChoiceFormSet(data, prefix="choices", initial=choices_initial)
    refused = False
    if data is not None and form.clean_with(choices):
        try:
            building.question_save(
                survey=survey,
                question=question,
                fields=form.question_fields(),
                choices=form.choice_list if form.has_choices else [],
            )
        except rounds.RoundError as refusal:
            form.add_error(None, str(refusal))
            refused = True
        else:
            messages.success(request, "Question saved." if question else "Question added.")
            return redirect("surveys:build", survey.cohort_id, survey.pk)
    context = scope.context(
        survey.cohort,
        survey=survey,
        question=question,
        kind=kind,
        kind_label=QuestionKind(kind).label,
        form=form,
        choices=choices,
        refused=refused,
    )
    status = 400 if data is not None else 200
    return render(request, "surveys/question_form.html", context, status=status)


@login_required
@require_POST
def question_delete(
    request: HttpRequest, pk: int, survey_pk: int, question_pk: int
) -> HttpResponse:
    question, _ = access.get_question_for(request.user, pk, survey_pk, question_pk)
    try:
        building.question_delete(question=question)
    except rounds.RoundError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"Question “{question.text}” deleted.")
    return redirect("surveys:build", pk, survey_pk)


@login_required
@require_POST
def question_move(request: HttpRequest, pk: int, survey_pk: int, question_pk: int) -> HttpResponse:
    question, _ = access.get_question_for(request.user, pk, survey_pk, question_pk)
    by = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    survey = question.survey
    try:
        if by is not None:
            building.question_move(question=question, by=by)
    except rounds.RoundError as refusal:
        messages.error(request, str(refusal))
        if request.htmx:
            return HttpResponseClientRedirect(reverse("surveys:build", args=[pk, survey_pk]))
    if request.htmx:
        context = {"cohort": survey.cohort, "survey": survey, "locked": False}
        context["questions"] = _survey_questions(survey)
        return render(request, "surveys/survey_build.html#questions", context)
    return redirect("surveys:build", pk, survey_pk)


@login_required
@require_http_methods(["GET", "POST"])
def round_create(request: HttpRequest, pk: int, survey_pk: int) -> HttpResponse:
    survey, scope = access.get_survey_for(request.user, pk, survey_pk)
    form = RoundForm(request.POST if request.method == "POST" else None, cohort=survey.cohort)
    if form.is_valid():
        try:
            round_ = rounds.round_schedule(survey=survey, plan=form.round_plan())
        except rounds.RoundError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, f"Round “{round_.label}” scheduled.")
            return redirect("surveys:list", pk)
    return _round_form_page(request, scope, survey, form, round_=None)


@login_required
@require_POST
def rounds_standard(request: HttpRequest, pk: int, survey_pk: int) -> HttpResponse:
    """One click: the standard rounds before, right after, +30, +60 and +90 days."""
    survey, _ = access.get_survey_for(request.user, pk, survey_pk)
    try:
        added, skipped = rounds.rounds_schedule_standard(
            survey=survey, presets=list(ROUND_PRESETS.values())
        )
    except rounds.RoundError as refusal:
        messages.error(request, str(refusal))
        return redirect("surveys:build", pk, survey.pk)
    if added:
        labels = ", ".join(round_.label for round_ in added)
        messages.success(request, f"{len(added)} round{pluralize(len(added))} scheduled: {labels}.")
    if skipped:
        messages.info(request, "Not scheduled: " + "; ".join(skipped) + ".")
    return redirect("surveys:build", pk, survey.pk)


@login_required
@require_http_methods(["GET", "POST"])
def round_edit(request: HttpRequest, pk: int, round_pk: int) -> HttpResponse:
    round_, scope = access.get_round_to_schedule_for(request.user, pk, round_pk)
    form = RoundForm(
        request.POST if request.method == "POST" else None,
        cohort=round_.cohort,
        initial=round_initial(round_),
    )
    if round_.status != RoundStatus.SCHEDULED:
        form.add_error(None, "This round has opened, so it can no longer be moved.")
    elif form.is_valid():
        try:
            rounds.round_update(round_=round_, plan=form.round_plan())
        except rounds.RoundError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, f"Round “{form.cleaned_data['label']}” moved.")
            return redirect("surveys:list", pk)
    return _round_form_page(request, scope, round_.survey, form, round_=round_)


def _round_form_page(
    request: HttpRequest,
    scope: CohortAccess,
    survey: Survey,
    form: Form,
    *,
    round_: Round | None,
) -> HttpResponse:
    """The round form to fill in again (400 with its errors); `round_` is None for a new one."""
    context = scope.context(survey.cohort, survey=survey, form=form, round=round_)
    return render(request, "surveys/round_form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def round_cancel(request: HttpRequest, pk: int, round_pk: int) -> HttpResponse:
    round_, _ = access.get_round_to_schedule_for(request.user, pk, round_pk)
    try:
        rounds.round_cancel(round_=round_)
    except rounds.RoundError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"Round “{round_.label}” cancelled; nobody was notified.")
    return redirect("surveys:list", pk)
