"""Organisation-level access checks.

They live here because accounts sits above cohorts; `cohorts.access` re-exports them so callers
use one module for every check. An organisation a person does not manage is a 404.
"""

from __future__ import annotations

from django.db.models import Model, QuerySet
from django.http import Http404

from accounts.models import Invitation, Membership, Organization, Role, User


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


def get_organization_row_for[M: Model](
    user: User, slug: str, rows: QuerySet[M], pk: int, *, missing: str
) -> M:
    """Row `pk` of `rows` (a model with an `organization`) of an organisation `user` manages; a 404
    saying `missing` otherwise. The row's `organization` is the one checked."""
    organization = get_organization_for(user, slug)
    row = rows.filter(organization=organization, pk=pk).first()
    if row is None:
        raise Http404(missing)
    row.organization = organization
    return row


def get_membership_for(user: User, slug: str, pk: int) -> Membership:
    """A membership of an organisation `user` manages; otherwise 404."""
    memberships = Membership.objects.select_related("user")
    return get_organization_row_for(user, slug, memberships, pk, missing="No such member.")


def get_invitation_for(user: User, slug: str, pk: int) -> Invitation:
    """An invitation to an organisation `user` manages; otherwise 404."""
    invitations = Invitation.objects.select_related("invited_by")
    return get_organization_row_for(user, slug, invitations, pk, missing="No such invitation.")
