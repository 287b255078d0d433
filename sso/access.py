"""Access to an organisation's SSO settings: its managers only; anything else is a 404."""

from __future__ import annotations

from django.http import Http404

from accounts.access import get_organization_for
from accounts.models import User
from sso.models import SsoDomain


def get_sso_domain_for(user: User, slug: str, pk: int) -> SsoDomain:
    organization = get_organization_for(user, slug)
    claim = SsoDomain.objects.filter(organization=organization, pk=pk).first()
    if claim is None:
        raise Http404("No such domain.")
    claim.organization = organization
    return claim
