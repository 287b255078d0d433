"""Who may build, schedule, answer and read which survey: built on cohorts.access.

Surveys and rounds are reached through the cohort: `teach` (its instructors and the organisation's
managers) to build, schedule and read results; a participant reaches only their own response, when
signed in or through the signed link of a round's email. Anything else is a 404.
"""

from __future__ import annotations

from accounts.models import User
from cohorts.models import CohortRole, Enrolment
from surveys.links import LinkGrant
from surveys.models import Round


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
