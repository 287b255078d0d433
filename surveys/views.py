from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cohorts.access import get_cohort_for
from socialtraining import clock
from socialtraining.csv_download import csv_download
from surveys import access, links, results
from surveys.answering import AnswerProblem, ResponseClosed, response_save_draft, response_submit
from surveys.models import (
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
    Round,
    RoundStatus,
)


@require_GET
def round_link(request: HttpRequest, token: str) -> HttpResponse:
    """The one-click link from a round's email: opens that person's form, without a password."""
    link = links.read_round_link(token)
    round_ = access.round_for_link(link) if link else None
    if round_ is None:
        return render(request, "surveys/link_invalid.html", status=400)
    links.grant(request.session, link)
    return redirect("surveys:answer", round_.cohort_id, round_.pk)


# Answering and results (building and scheduling: build_views.py).


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
    problems: list[AnswerProblem] = (),
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
        _, problems = response_submit(
            round_=answering.round, participant=answering.participant, raw=raw
        )
    except ResponseClosed as closed:
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
        response, problems = response_save_draft(
            round_=answering.round, participant=answering.participant, raw=raw
        )
    except ResponseClosed as closed:
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
    cohort, _ = get_cohort_for(request.user, cohort_pk, "teach")
    scores, rows = results.cohort_retention(cohort)
    context = {
        "cohort": cohort,
        "scores": scores,
        "rows": rows,
        "minimum": results.ANONYMOUS_MINIMUM,
    }
    return render(request, "surveys/results_retention.html", context)
