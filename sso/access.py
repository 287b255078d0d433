"""Access to an organisation's SSO settings: its managers only; anything else is a 404."""

from __future__ import annotations

from accounts.access import get_organization_row_for
from accounts.models import User
from sso.models import SsoDomain


def get_sso_domain_for(user: User, slug: str, pk: int) -> SsoDomain:
    return get_organization_row_for(
        user, slug, SsoDomain.objects.all(), pk, missing="No such domain."
    )
