from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from cohorts.access import get_cohort_for
from cohorts.models import Cohort, CohortRole
from socialtraining import clock
from socialtraining.csv_download import csv_download
from surveys import access, answering, building, links, results, rounds
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
from surveys.models import (
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
    Round,
    RoundStatus,
    Survey,
)
from surveys.starters import STARTERS

WAITING_SHOWN = 20


@require_GET
def round_link(request: HttpRequest, token: str) -> HttpResponse:
    """The one-click link from a round's email: opens that person's form, without a password."""
    link = links.read_round_link(token)
    round_ = access.round_for_link(link) if link else None
    if round_ is None:
        return render(request, "surveys/link_invalid.html", status=400)
    links.grant(request.session, link)
    return redirect("surveys:answer", round_.cohort_id, round_.pk)


# Building and scheduling.


def _survey_questions(survey: Survey) -> list[Question]:
    return list(survey.questions.prefetch_related("choices"))


@login_required
@require_GET
def survey_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The cohort's surveys and their rounds, with how many have answered each."""
    cohort = get_cohort_for(request.user, pk, "teach")
    rounds = Round.objects.annotate(
        submitted=Count("responses", filter=Q(responses__status=ResponseStatus.SUBMITTED))
    ).order_by("opens_at", "pk")
    surveys = cohort.surveys.annotate(question_count=Count("questions")).prefetch_related(
        Prefetch("rounds", queryset=rounds)
    )
    participants = cohort.enrolments.filter(role=CohortRole.PARTICIPANT).count()
    context = {"cohort": cohort, "surveys": list(surveys), "participants": participants}
    return render(request, "surveys/survey_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def survey_create(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = get_cohort_for(request.user, pk, "teach")
    form = SurveyStartForm(
        request.POST if request.method == "POST" else None,
        copyable=access.surveys_to_copy_for(request.user),
    )
    if form.is_valid():
        survey = _survey_start(request, cohort, form.cleaned_data)
        messages.success(request, f"Survey “{survey.title}” created. Adapt its questions below.")
        return redirect("surveys:build", cohort.pk, survey.pk)
    context = {"cohort": cohort, "form": form, "starters": STARTERS.values()}
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
    survey = access.get_survey_for(request.user, pk, survey_pk)
    context = {
        "cohort": survey.cohort,
        "survey": survey,
        "questions": _survey_questions(survey),
        "locked": building.survey_has_answers(survey),
        "rounds": list(survey.rounds.all()),
        "kinds": QuestionKind.choices,
    }
    return render(request, "surveys/survey_build.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def survey_settings(request: HttpRequest, pk: int, survey_pk: int) -> HttpResponse:
    survey = access.get_survey_for(request.user, pk, survey_pk)
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
    context = {"cohort": survey.cohort, "survey": survey, "form": form}
    status = 400 if form.errors else 200
    return render(request, "surveys/survey_settings.html", context, status=status)


@login_required
@require_GET
def survey_preview(request: HttpRequest, pk: int, survey_pk: int) -> HttpResponse:
    """The survey exactly as a participant sees it, with the partial the answer form uses."""
    survey = access.get_survey_for(request.user, pk, survey_pk)
    context = {"cohort": survey.cohort, "survey": survey, "questions": _survey_questions(survey)}
    return render(request, "surveys/survey_preview.html", context)


@login_required
@require_POST
def survey_new_version(request: HttpRequest, pk: int, survey_pk: int) -> HttpResponse:
    survey = access.get_survey_for(request.user, pk, survey_pk)
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
    survey = access.get_survey_for(request.user, pk, survey_pk)
    kind = request.GET.get("kind", "")
    if kind not in QuestionKind.values:
        context = {"cohort": survey.cohort, "survey": survey, "kinds": QuestionKind.choices}
        status = 400 if kind or request.method == "POST" else 200
        return render(request, "surveys/question_kinds.html", context, status=status)
    return _question_form(request, survey, kind=kind, question=None)


@login_required
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, pk: int, survey_pk: int, question_pk: int) -> HttpResponse:
    question = access.get_question_for(request.user, pk, survey_pk, question_pk)
    return _question_form(request, question.survey, kind=question.kind, question=question)


def _question_form(
    request: HttpRequest, survey: Survey, *, kind: str, question: Question | None
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
    context = {
        "cohort": survey.cohort,
        "survey": survey,
        "question": question,
        "kind": kind,
        "kind_label": QuestionKind(kind).label,
        "form": form,
        "choices": choices,
        "refused": refused,
    }
    status = 400 if data is not None else 200
    return render(request, "surveys/question_form.html", context, status=status)


@login_required
@require_POST
def question_delete(
    request: HttpRequest, pk: int, survey_pk: int, question_pk: int
) -> HttpResponse:
    question = access.get_question_for(request.user, pk, survey_pk, question_pk)
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
    question = access.get_question_for(request.user, pk, survey_pk, question_pk)
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
    survey = access.get_survey_for(request.user, pk, survey_pk)
    form = RoundForm(request.POST if request.method == "POST" else None, cohort=survey.cohort)
    if form.is_valid():
        try:
            round_ = rounds.round_schedule(survey=survey, **form.round_fields())
        except rounds.RoundError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, f"Round “{round_.label}” scheduled.")
            return redirect("surveys:list", pk)
    context = {"cohort": survey.cohort, "survey": survey, "form": form, "round": None}
    status = 400 if form.errors else 200
    return render(request, "surveys/round_form.html", context, status=status)


@login_required
@require_POST
def rounds_standard(request: HttpRequest, pk: int, survey_pk: int) -> HttpResponse:
    """One click: the standard rounds before, right after, +30, +60 and +90 days."""
    survey = access.get_survey_for(request.user, pk, survey_pk)
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
    round_ = access.get_round_to_schedule_for(request.user, pk, round_pk)
    form = RoundForm(
        request.POST if request.method == "POST" else None,
        cohort=round_.cohort,
        initial=round_initial(round_),
    )
    if round_.status != RoundStatus.SCHEDULED:
        form.add_error(None, "This round has opened, so it can no longer be moved.")
    elif form.is_valid():
        try:
            rounds.round_update(round_=round_, **form.round_fields())
        except rounds.RoundError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, f"Round “{form.cleaned_data['label']}” moved.")
            return redirect("surveys:list", pk)
    context = {"cohort": round_.cohort, "survey": round_.survey, "form": form, "round": round_}
    status = 400 if form.errors else 200
    return render(request, "surveys/round_form.html", context, status=status)


@login_required
@require_POST
def round_cancel(request: HttpRequest, pk: int, round_pk: int) -> HttpResponse:
    round_ = access.get_round_to_schedule_for(request.user, pk, round_pk)
    try:
        rounds.round_cancel(round_=round_)
    except rounds.RoundError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"Round “{round_.label}” cancelled; nobody was notified.")
    return redirect("surveys:list", pk)


# Answering and results.


def _raw_answers(data: QueryDict, questions: list[Question]) -> dict[int, dict]:
    """The form's values per question. Every question is included: an untouched radio or an
    unticked box sends nothing, and that must clear what the draft held."""
    return {
        q.pk: {
            "number": data.get(f"q{q.pk}-number", ""),
            "text": data.get(f"q{q.pk}-text", ""),
            "choices": data.getlist(f"q{q.pk}-choices"),
            "confidence": data.get(f"q{q.pk}-confidence", ""),
        }
        for q in questions
    }


@dataclass
class AnswerShown:
    """One stored answer as `_question_input.html` shows it."""

    number: int | None = None
    text: str = ""
    choice_ids: frozenset[int] = frozenset()
    confidence: int | None = None
    is_correct: bool | None = None

    @property
    def choices(self) -> list[str]:
        """The ticked choices as the form posts them, which `_question_input.html` compares."""
        return [str(pk) for pk in self.choice_ids]


def _posted_shown(raw: dict) -> AnswerShown:
    """What the person sent for a question whose answer was refused, shown back to them."""
    number, confidence = raw.get("number", "").strip(), raw.get("confidence", "").strip()
    return AnswerShown(
        number=int(number) if number.isdigit() else None,
        text=raw.get("text", ""),
        choice_ids=frozenset(int(c) for c in raw.get("choices", []) if c.isdigit()),
        confidence=int(confidence) if confidence.isdigit() else None,
    )


def _answers_shown(response: Response | None) -> dict[int, AnswerShown]:
    if response is None or response.pk is None:
        return {}
    return {
        a.question_id: AnswerShown(
            number=a.number,
            text=a.text,
            choice_ids=frozenset(c.pk for c in a.choices.all()),
            confidence=a.confidence,
            is_correct=a.is_correct,
        )
        for a in response.answers.prefetch_related("choices")
    }


def _wall_clock(moment: datetime, round_: Round) -> str:
    # Formatted here: the template's time filter would turn it back into the server's zone.
    return timezone.localtime(moment, round_.cohort.tz).strftime("%H:%M")


def _answering_or_sign_in(request: HttpRequest, cohort_pk: int, pk: int):
    answering = access.get_round_to_answer(request, cohort_pk, pk)
    if answering is None:
        return None, redirect_to_login(request.get_full_path())
    return answering, None


def _answer_page(
    request: HttpRequest,
    answering: access.Answering,
    *,
    problems: list[answering.AnswerProblem] = (),
    posted: dict[int, dict] | None = None,
    closed_message: str = "",
    status: int = 200,
) -> HttpResponse:
    round_ = answering.round
    now = clock.now()
    questions = list(round_.survey.questions.prefetch_related("choices"))
    response = Response.objects.filter(round=round_, participant=answering.participant).first()
    errors: dict[int, list[str]] = {}
    for problem in problems:
        errors.setdefault(problem.question_id, []).append(problem.message)
    answers = _answers_shown(response)
    # A refused answer is shown as it was sent, so the person's text is never lost: the draft
    # keeps what was saved before.
    answers.update({pk: _posted_shown(posted[pk]) for pk in errors if posted and pk in posted})
    for question in questions:
        # Shown with the explanation once submitted; the prefetched choices cost no query.
        question.correct_text = "; ".join(c.text for c in question.choices.all() if c.is_correct)
    submitted = response is not None and response.status == ResponseStatus.SUBMITTED
    if submitted:
        state = "submitted"
    elif round_.status == RoundStatus.SCHEDULED or now < round_.opens_at:
        state = "not_open"
    elif not round_.accepts_answers_at(now):
        state = "closed"
    else:
        state = "open"
    context = {
        "answering": answering,
        "round": round_,
        "survey": round_.survey,
        "cohort": round_.cohort,
        "response": response,
        "state": state,
        "items": [(q, answers.get(q.pk), errors.get(q.pk, [])) for q in questions],
        "problem_count": len(problems),
        # The error summary: one line per problem, in question order, linking to its question.
        "problems": [
            (f"q{q.pk}", f"{q.text} — {message}")
            for q in questions
            for message in errors.get(q.pk, [])
        ],
        "closed_message": closed_message,
        "minimum": results.ANONYMOUS_MINIMUM,
        "show_feedback": submitted and round_.survey.show_feedback,
        "scored": any(q.kind == QuestionKind.KNOWLEDGE for q in questions),
        "saved_at": _wall_clock(response.updated_at, round_) if answers else "",
    }
    template = {
        "open": "surveys/answer_form.html",
        "submitted": "surveys/answer_done.html",
    }.get(state, "surveys/answer_unavailable.html")
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, cohort_pk: int, pk: int) -> HttpResponse:
    """One participant's form for one round: the saved draft on GET, submitted on POST."""
    answering, sign_in = _answering_or_sign_in(request, cohort_pk, pk)
    if sign_in:
        return sign_in
    if request.method == "GET":
        return _answer_page(request, answering)
    questions = list(answering.round.survey.questions.all())
    raw = _raw_answers(request.POST, questions)
    try:
        _, problems = answering.response_submit(
            round_=answering.round, participant=answering.participant, raw=raw
        )
    except answering.ResponseClosed as closed:
        return _answer_page(request, answering, closed_message=str(closed), status=400)
    if problems:
        return _answer_page(request, answering, problems=problems, posted=raw, status=400)
    return redirect("surveys:answer", answering.round.cohort_id, answering.round.pk)


@require_POST
def answer_draft(request: HttpRequest, cohort_pk: int, pk: int) -> HttpResponse:
    """Autosave (htmx, on every change) or the form's "Save draft" button without JavaScript."""
    answering, sign_in = _answering_or_sign_in(request, cohort_pk, pk)
    if sign_in:
        return sign_in
    questions = list(answering.round.survey.questions.all())
    raw = _raw_answers(request.POST, questions)
    try:
        response, problems = answering.response_save_draft(
            round_=answering.round, participant=answering.participant, raw=raw
        )
    except answering.ResponseClosed as closed:
        if request.htmx:
            context = {"closed_message": str(closed)}
            return render(request, "surveys/answer_form.html#draft_status", context, status=400)
        return _answer_page(request, answering, closed_message=str(closed), status=400)
    if not request.htmx:
        if problems:
            return _answer_page(request, answering, problems=problems, posted=raw, status=400)
        messages.success(request, "Draft saved. Come back any time before the survey closes.")
        return redirect("surveys:answer", answering.round.cohort_id, answering.round.pk)
    texts = {q.pk: q.text for q in questions}
    context = {
        "saved_at": _wall_clock(response.updated_at, answering.round),
        "problem_count": len(problems),
        # Autosave says what it could not keep, or a long answer would vanish without a word.
        "draft_problems": [(texts[p.question_id], p.message) for p in problems],
    }
    return render(request, "surveys/answer_form.html#draft_status", context)


@login_required
@require_GET
def waiting(request: HttpRequest) -> HttpResponse:
    """Surveys waiting for the signed-in participant; the home page loads the list with htmx."""
    rounds = list(access.rounds_waiting_for(request.user, clock.now())[:WAITING_SHOWN])
    template = "surveys/answer_waiting.html"
    if request.htmx:
        template += "#waiting"
    return render(request, template, {"rounds": rounds})


@login_required
@require_GET
def round_results(request: HttpRequest, cohort_pk: int, pk: int) -> HttpResponse:
    round_ = access.get_round_for(request.user, cohort_pk, pk)
    context = {
        "round": round_,
        "cohort": round_.cohort,
        "results": results.round_results(round_),
        "minimum": results.ANONYMOUS_MINIMUM,
        "texts_shown": results.TEXTS_SHOWN,
    }
    return render(request, "surveys/results_round.html", context)


@login_required
@require_GET
def round_results_csv(request: HttpRequest, cohort_pk: int, pk: int) -> StreamingHttpResponse:
    round_ = access.get_round_for(request.user, cohort_pk, pk)
    filename = f"{slugify(round_.cohort.name)}-{slugify(round_.label)}-{round_.pk}.csv"
    return csv_download(results.csv_rows(round_), filename=filename)


@login_required
@require_GET
def cohort_retention(request: HttpRequest, cohort_pk: int) -> HttpResponse:
    """Knowledge scores pre → post → +30/+60/+90, and which objective fades first."""
    cohort = access.get_cohort_for(request.user, cohort_pk, "teach")
    scores, rows = results.cohort_retention(cohort)
    context = {
        "cohort": cohort,
        "scores": scores,
        "rows": rows,
        "minimum": results.ANONYMOUS_MINIMUM,
    }
    return render(request, "surveys/results_retention.html", context)
