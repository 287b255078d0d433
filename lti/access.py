"""Access to LTI registrations: the organisation's managers only; anything else is a 404."""

from __future__ import annotations

from django.http import Http404

from accounts.access import get_organization_for, get_organization_row_for
from accounts.models import User
from lti.models import LtiContext, LtiPlatform


def get_lti_platform_for(user: User, slug: str, pk: int) -> LtiPlatform:
    return get_organization_row_for(
        user, slug, LtiPlatform.objects.all(), pk, missing="No such LMS."
    )


def get_lti_context_for(user: User, slug: str, pk: int) -> LtiContext:
    organization = get_organization_for(user, slug)
    context = (
        LtiContext.objects.select_related("platform", "cohort")
        .filter(platform__organization=organization, pk=pk)
        .first()
    )
    if context is None:
        raise Http404("No such course.")
    return context
