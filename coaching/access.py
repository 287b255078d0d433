"""Access to coaching objects, built on cohorts.access: anything else is a 404."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404

from accounts.models import User
from coaching import links
from coaching.models import CoachingBooster, ObservationRound
from cohorts.access import get_cohort_row_for
from cohorts.models import CohortRole, Enrolment


@dataclass(frozen=True)
class Observing:
    """A coach (signed in, or through their email's signed link) rating one person in one round."""

    round: ObservationRound
    enrolment: Enrolment
    coach: User


class SignInNeeded(Exception):
    pass


def get_observing_for(request, round_pk: int, enrolment_pk: int) -> Observing:
    """The person's current coach, signed in or holding this form's link grant, may rate them in
    an opened round; someone signed in as anyone else gets 404; without either, SignInNeeded."""
    enrolment = (
        Enrolment.objects.select_related("user", "coach", "cohort__organization")
        .filter(pk=enrolment_pk, role=CohortRole.PARTICIPANT, coach__isnull=False)
        .first()
    )
    round_ = (
        ObservationRound.objects.filter(
            pk=round_pk, cohort_id=enrolment.cohort_id, opened_at__isnull=False
        ).first()
        if enrolment
        else None
    )
    user = request.user
    if user.is_authenticated:
        if round_ is None or user.pk != enrolment.coach_id:
            raise Http404("No such form.")
    else:
        granted = links.granted_coach_id(
            request.session, round_id=round_pk, enrolment_id=enrolment_pk
        )
        if round_ is None or granted is None or granted != enrolment.coach_id:
            raise SignInNeeded
    round_.cohort = enrolment.cohort
    return Observing(round=round_, enrolment=enrolment, coach=enrolment.coach)


def get_booster_for(user: User, cohort_pk: int, pk: int) -> CoachingBooster:
    boosters = CoachingBooster.objects.all()
    booster, _ = get_cohort_row_for(
        user, cohort_pk, boosters, pk, missing="No such coaching prompt."
    )
    return booster
