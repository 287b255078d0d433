"""Answering a round: saving drafts and submitting responses."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from accounts.models import User
from socialtraining import clock
from surveys.models import (
    CONFIDENCE_LEVELS,
    TEXT_ANSWER_MAX_LENGTH,
    Answer,
    Choice,
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
    Round,
)


class ResponseClosed(Exception):
    """The round no longer (or not yet) takes answers."""


@dataclass
class AnswerProblem:
    question_id: int
    message: str


def answer_is_correct(*, picked: Collection[Choice], choices: Collection[Choice]) -> bool:
    """The one rule of a right answer to a knowledge question: it picks exactly the question's
    correct choices (`picked` among its `choices`, each once) and none of the others. Choices
    need not be saved yet (the benchmark's seed builds them in memory)."""
    correct = sum(choice.is_correct for choice in choices)
    return bool(picked) and len(picked) == correct and all(c.is_correct for c in picked)


def response_score(marks: Sequence[bool]) -> tuple[int | None, int | None]:
    """A response's score and the most it could score, from whether each of its knowledge
    questions was answered right (`answer_is_correct`); neither for a survey without any. The
    round's knowledge score (`results.knowledge_scores`) sums these."""
    if not marks:
        return None, None
    return sum(marks), len(marks)


def _clean_answer(question: Question, raw: dict) -> tuple[dict, str | None]:
    """Normalise one question's raw form values; return (values, problem or None).

    `raw` holds "number", "text", "choices" (list of ids as strings) and "confidence".
    """
    values: dict = {"number": None, "text": "", "choices": [], "confidence": None}
    if question.scale is not None:
        number = (raw.get("number") or "").strip()
        if number:
            try:
                values["number"] = int(number)
            except ValueError:
                return values, "Choose one of the points on the scale."
            if values["number"] not in question.scale:
                low, high = question.scale[0], question.scale[-1]
                return values, f"Choose a value from {low} to {high}."
    elif question.kind == QuestionKind.TEXT:
        text = (raw.get("text") or "").strip()
        if len(text) > TEXT_ANSWER_MAX_LENGTH:
            return values, (
                f"Your answer is {len(text):,} characters long; an answer holds at most "
                f"{TEXT_ANSWER_MAX_LENGTH:,}. Shorten it: it is not saved until then."
            )
        values["text"] = text
    else:
        valid = {c.pk: c for c in question.choices.all()}
        picked = []
        for value in raw.get("choices") or []:
            try:
                choice = valid[int(value)]
            except (ValueError, KeyError):
                return values, "That choice is not one of this question's answers."
            picked.append(choice)
        if len(picked) > 1 and not question.allows_several:
            return values, "Choose only one answer."
        values["choices"] = picked
    if question.kind == QuestionKind.KNOWLEDGE and question.ask_confidence:
        confidence = (raw.get("confidence") or "").strip()
        if confidence:
            if not confidence.isdigit() or int(confidence) not in CONFIDENCE_LEVELS:
                return values, "Say how sure you are with one of the four options."
            values["confidence"] = int(confidence)
    return values, None


def _is_empty(values: dict) -> bool:
    return values["number"] is None and not values["text"] and not values["choices"]


def _store(response: Response, question: Question, values: dict) -> Answer:
    answer, _ = Answer.objects.update_or_create(
        response=response,
        question=question,
        defaults={
            "number": values["number"],
            "text": values["text"],
            "confidence": values["confidence"],
        },
    )
    answer.choices.set(values["choices"])
    return answer


def response_for(*, round_: Round, participant: User) -> Response:
    response, _ = Response.objects.get_or_create(round=round_, participant=participant)
    return response


def _check_open(round_: Round, response: Response, now: datetime) -> None:
    if response.status == ResponseStatus.SUBMITTED:
        raise ResponseClosed("You have already submitted this survey; answers are final.")
    if not round_.accepts_answers_at(now):
        raise ResponseClosed("This survey is closed: it no longer takes answers.")


@transaction.atomic
def response_save_draft(
    *, round_: Round, participant: User, raw: dict[int, dict]
) -> tuple[Response, list[AnswerProblem]]:
    """Save whatever is valid of a partly filled form; report the rest. Nothing valid is lost."""
    now = clock.now()
    response = Response.objects.select_for_update().get(
        pk=response_for(round_=round_, participant=participant).pk
    )
    _check_open(round_, response, now)
    problems = []
    for question in round_.survey.questions.prefetch_related("choices"):
        if question.pk not in raw:
            continue
        values, problem = _clean_answer(question, raw[question.pk])
        if problem:
            problems.append(AnswerProblem(question.pk, problem))
            continue
        _store(response, question, values)
    response.updated_at = now
    response.save(update_fields=["updated_at"])
    return response, problems


@transaction.atomic
def response_submit(
    *, round_: Round, participant: User, raw: dict[int, dict]
) -> tuple[Response, list[AnswerProblem]]:
    """Submit the form: every answer valid and every required one given, or nothing submitted.

    Valid answers are kept as the draft either way, so a refused submission loses nothing.
    """
    now = clock.now()
    response, problems = response_save_draft(round_=round_, participant=participant, raw=raw)
    questions = list(round_.survey.questions.prefetch_related("choices"))
    stored = {a.question_id: a for a in response.answers.prefetch_related("choices")}
    problem_ids = {p.question_id for p in problems}
    for question in questions:
        answer = stored.get(question.pk)
        empty = answer is None or _is_empty(
            {"number": answer.number, "text": answer.text, "choices": list(answer.choices.all())}
        )
        if question.required and empty and question.pk not in problem_ids:
            problems.append(AnswerProblem(question.pk, "This question needs an answer."))
    if problems:
        return response, problems
    marks = []
    for question in questions:
        if question.kind != QuestionKind.KNOWLEDGE:
            continue
        answer = stored.get(question.pk)
        picked = list(answer.choices.all()) if answer else []
        is_correct = answer_is_correct(picked=picked, choices=question.choices.all())
        marks.append(is_correct)
        if answer is not None:
            answer.is_correct = is_correct
            answer.save(update_fields=["is_correct"])
    response.status = ResponseStatus.SUBMITTED
    response.submitted_at = now
    response.score, response.max_score = response_score(marks)
    response.save(update_fields=["status", "submitted_at", "score", "max_score"])
    return response, []
