"""Who may build, schedule, answer and read which survey: built on cohorts.access.

Surveys and rounds are reached through the cohort: `teach` (its instructors and the organisation's
managers) to build, schedule and read results; a participant reaches only their own response, when
signed in or through the signed link of a round's email. Anything else is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from accounts.models import User
from cohorts.access import (
    Action,
    CohortAccess,
    cohorts_taught_by,
    get_cohort_row_for,
)
from cohorts.models import CohortRole, Enrolment
from surveys import links
from surveys.links import LinkGrant
from surveys.models import Question, Response, ResponseStatus, Round, RoundStatus, Survey


def round_for_link(link: LinkGrant) -> Round | None:
    """The round a signed link names, if its person is still a participant of the cohort."""
    round_ = Round.objects.select_related("survey", "cohort").filter(pk=link.round_id).first()
    if round_ is None:
        return None
    enrolled = Enrolment.objects.filter(
        cohort_id=round_.cohort_id,
        user_id=link.user_id,
        user__is_active=True,
        role=CohortRole.PARTICIPANT,
    ).exists()
    return round_ if enrolled else None


def is_round_participant(user: User, round_: Round) -> bool:
    return Enrolment.objects.filter(
        cohort_id=round_.cohort_id, user=user, role=CohortRole.PARTICIPANT
    ).exists()


# Building and scheduling: instructors of the survey's cohort and the organisation's managers.


def get_survey_for(user: User, cohort_pk: int, pk: int) -> tuple[Survey, CohortAccess]:
    """A survey of cohort `cohort_pk` that `user` may build, and their access there; 404
    otherwise. Sets `survey.cohort`."""
    return get_cohort_row_for(user, cohort_pk, Survey.objects.all(), pk, missing="No such survey.")


def get_question_for(
    user: User, cohort_pk: int, survey_pk: int, pk: int
) -> tuple[Question, CohortAccess]:
    survey, access = get_survey_for(user, cohort_pk, survey_pk)
    question = Question.objects.filter(survey=survey, pk=pk).prefetch_related("choices").first()
    if question is None:
        raise Http404("No such question.")
    question.survey = survey
    return question, access


def get_round_to_schedule_for(user: User, cohort_pk: int, pk: int) -> tuple[Round, CohortAccess]:
    """A round of the cohort that `user` may reschedule or cancel (teach); 404 otherwise."""
    rounds = Round.objects.select_related("survey")
    round_, access = get_cohort_row_for(user, cohort_pk, rounds, pk, missing="No such round.")
    round_.survey.cohort = round_.cohort
    return round_, access


def surveys_to_copy_for(user: User) -> QuerySet[Survey]:
    """Surveys of every cohort `user` may teach: the ones they may copy into another cohort."""
    return Survey.objects.filter(cohort__in=cohorts_taught_by(user))


# Answering and results.


@dataclass(frozen=True)
class Answering:
    """Whose form this request may fill in: signed in as that participant, or through the
    round's signed link opened in this browser (then only that form, nothing else of theirs)."""

    round: Round
    participant: User
    through_link: bool


def get_round_to_answer(request: HttpRequest, cohort_pk: int, pk: int) -> Answering | None:
    """The round `pk` of cohort `cohort_pk` for the person answering it; None asks to sign in.

    A round the visitor may not answer is a 404, like any other object they cannot reach.
    """
    round_ = (
        Round.objects.select_related("survey", "cohort")
        .filter(pk=pk, cohort_id=cohort_pk)
        .exclude(status=RoundStatus.CANCELLED)
        .first()
    )
    user = request.user
    if round_ is not None and user.is_authenticated and is_round_participant(user, round_):
        return Answering(round_, user, through_link=False)
    granted = links.granted_user_id(request.session, pk) if round_ is not None else None
    # The person must still be a participant: a link outlives a removal from the cohort.
    if granted is not None and round_for_link(LinkGrant(round_id=pk, user_id=granted)):
        return Answering(round_, User.objects.get(pk=granted), through_link=True)
    if not user.is_authenticated:
        return None
    raise Http404("No such survey.")


def get_round_for(user: User, cohort_pk: int, pk: int, action: Action = "teach") -> Round:
    """A round of the cohort, for its instructors and the organisation's managers (results)."""
    rounds = Round.objects.select_related("survey")
    round_, _ = get_cohort_row_for(
        user, cohort_pk, rounds, pk, action=action, missing="No such survey round."
    )
    return round_


# Rounds listed on the home page and the cohort's overview.
WAITING_SHOWN = 20


def rounds_waiting_for(user: User, now: datetime) -> QuerySet[Round]:
    """Open rounds of the participant's cohorts they have not submitted yet."""
    if not user.is_authenticated:
        return Round.objects.none()
    cohorts = Enrolment.objects.filter(user=user, role=CohortRole.PARTICIPANT).values("cohort_id")
    submitted = Response.objects.filter(participant=user, status=ResponseStatus.SUBMITTED).values(
        "round_id"
    )
    return (
        Round.objects.filter(
            cohort_id__in=cohorts,
            status=RoundStatus.OPEN,
            opens_at__lte=now,
            closes_at__gt=now,
        )
        .exclude(pk__in=submitted)
        .select_related("survey", "cohort")
        .order_by("closes_at", "pk")
    )
