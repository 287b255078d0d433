"""Building surveys: creating, copying and versioning them, their questions, and what keeps a
survey with answers from changing."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from cohorts.models import Cohort
from surveys.models import Choice, Question, Response, Round, RoundStatus, Survey
from surveys.rounds import RoundError
from surveys.starters import Starter


def survey_has_answers(survey: Survey) -> bool:
    return Response.objects.filter(round__survey=survey).exclude(answers=None).exists()


def check_survey_editable(survey: Survey) -> None:
    """Changes that alter what stored answers mean are refused once answers exist."""
    if survey_has_answers(survey):
        raise RoundError(
            "People have already answered this survey, so its questions, choices and correct "
            "answers can no longer change: stored answers would change meaning. Make a new "
            "version instead; rounds that have not opened move to it."
        )


@transaction.atomic
def survey_copy(*, survey: Survey, cohort: Cohort, user: User, as_new_version: bool) -> Survey:
    """Copy a survey with its questions and choices, to another cohort or as its next version."""
    copy = Survey.objects.create(
        cohort=cohort,
        title=survey.title,
        intro=survey.intro,
        purpose=survey.purpose,
        anonymous=survey.anonymous,
        show_feedback=survey.show_feedback,
        previous_version=survey if as_new_version else None,
        version=survey.version + 1 if as_new_version else 1,
        created_by=user,
    )
    for question in survey.questions.prefetch_related("choices"):
        choices = list(question.choices.all())
        question.pk = None
        question.survey = copy
        question.save()
        Choice.objects.bulk_create(
            Choice(question=question, position=c.position, text=c.text, is_correct=c.is_correct)
            for c in choices
        )
    if as_new_version:
        Round.objects.filter(survey=survey, status=RoundStatus.SCHEDULED).update(survey=copy)
    return copy


@transaction.atomic
def survey_create(
    *, cohort: Cohort, user: User, title: str, purpose: str, starter: Starter | None = None
) -> Survey:
    """A new survey for `cohort`, blank or with a built-in starter's questions."""
    survey = Survey.objects.create(
        cohort=cohort,
        title=title,
        purpose=purpose,
        intro=starter.intro if starter else "",
        created_by=user,
    )
    for position, item in enumerate(starter.questions if starter else (), start=1):
        question = Question.objects.create(
            survey=survey,
            position=position,
            kind=item.kind,
            text=item.text,
            help_text=item.help_text,
            required=item.required,
            multiple_correct=item.multiple_correct,
            ask_confidence=item.ask_confidence,
            explanation=item.explanation,
            objective=item.objective,
        )
        Choice.objects.bulk_create(
            Choice(question=question, position=n, text=text, is_correct=correct)
            for n, (text, correct) in enumerate(item.choices, start=1)
        )
    return survey


def survey_update(
    *, survey: Survey, title: str, intro: str, purpose: str, anonymous: bool, show_feedback: bool
) -> Survey:
    """Change a survey's settings; its questions are untouched."""
    # People who answered on the promise of anonymity keep it: that promise cannot be withdrawn.
    if survey.anonymous and not anonymous and survey_has_answers(survey):
        raise RoundError(
            "People answered this survey anonymously, so it stays anonymous. Make a new version "
            "for named answers from now on."
        )
    survey.title, survey.intro, survey.purpose = title, intro, purpose
    survey.anonymous, survey.show_feedback = anonymous, show_feedback
    survey.save(update_fields=["title", "intro", "purpose", "anonymous", "show_feedback"])
    return survey


QUESTION_FIELDS = (
    "kind",
    "text",
    "help_text",
    "required",
    "multiple_correct",
    "ask_confidence",
    "explanation",
    "objective",
)


@transaction.atomic
def question_save(
    *,
    survey: Survey,
    question: Question | None = None,
    fields: dict,
    choices: list[tuple[str, bool]],
) -> Question:
    """Create or change a question and replace its choices; refused once answers exist.

    `fields` holds QUESTION_FIELDS; `choices` (text, is_correct) pairs in order. Replacing the
    choices is safe only because no answer can point at them yet (checked first).
    """
    check_survey_editable(survey)
    if question is None:
        last = survey.questions.order_by("-position").values_list("position", flat=True).first()
        question = Question(survey=survey, position=(last or 0) + 1)
    for name in QUESTION_FIELDS:
        setattr(question, name, fields[name])
    if question.pk is None:
        question.save()
    else:
        question.save(update_fields=list(QUESTION_FIELDS))
    question.choices.all().delete()
    if question.has_choices:
        Choice.objects.bulk_create(
            Choice(question=question, position=n, text=text, is_correct=correct)
            for n, (text, correct) in enumerate(choices, start=1)
        )
    return question


@transaction.atomic
def question_delete(*, question: Question) -> None:
    check_survey_editable(question.survey)
    question.delete()


@transaction.atomic
def question_move(*, question: Question, by: int) -> bool:
    """Move a question `by` places (-1 up, 1 down); False when it is already at that end."""
    check_survey_editable(question.survey)
    ordered = list(question.survey.questions.select_for_update().order_by("position", "pk"))
    index = next(i for i, q in enumerate(ordered) if q.pk == question.pk)
    target = index + by
    if not 0 <= target < len(ordered):
        return False
    ordered[index], ordered[target] = ordered[target], ordered[index]
    # Renumber everything: positions from older edits may have gaps or ties.
    for position, item in enumerate(ordered, start=1):
        item.position = position
    Question.objects.bulk_update(ordered, ["position"])
    return True
