"""Organisation-level access checks.

They live here because accounts sits above cohorts; `cohorts.access` re-exports them so callers
use one module for every check. An organisation a person does not manage is a 404.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Membership, Organization, Role, User


def managed_organization_ids(user: User) -> QuerySet:
    return Membership.objects.filter(user=user, role=Role.MANAGER).values("organization_id")


def organizations_managed_by(user: User) -> QuerySet[Organization]:
    if not user.is_authenticated:
        return Organization.objects.none()
    return Organization.objects.filter(pk__in=managed_organization_ids(user))


def get_organization_for(user: User, slug: str) -> Organization:
    """An organisation `user` manages; otherwise 404."""
    organization = organizations_managed_by(user).filter(slug=slug).first()
    if organization is None:
        raise Http404("No such organisation.")
    return organization
