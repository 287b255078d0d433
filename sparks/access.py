"""Who may answer which spark ask: its participant, signed in or through the ask's signed link.

Anything else is a 404, like every other object.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest

from sparks import links
from sparks.models import Delivery


def get_delivery_to_answer(request: HttpRequest, pk: int) -> Delivery | None:
    """The ask, for its participant: signed in as them, or holding this ask's link grant.

    None for a visitor who is neither signed in nor holding the grant: they should sign in.
    """
    delivery = Delivery.objects.select_related("spark__cohort", "participant").filter(pk=pk).first()
    if delivery is None:
        raise Http404("No such question.")
    if request.user.is_authenticated:
        if request.user.pk == delivery.participant_id:
            return delivery
        raise Http404("No such question.")
    if links.granted_user_id(request.session, delivery.pk) == delivery.participant_id:
        return delivery
    return None


def get_cohort_as_participant(user, pk: int):
    """The cohort, for someone enrolled in it as a participant (sparks go to them); else 404."""
    from cohorts.access import get_cohort_for
    from cohorts.models import CohortRole, Enrolment

    cohort, _ = get_cohort_for(user, pk, "view")
    if not Enrolment.objects.filter(cohort=cohort, user=user, role=CohortRole.PARTICIPANT).exists():
        raise Http404("No such cohort.")
    return cohort
