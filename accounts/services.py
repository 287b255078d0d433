from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, Organization, Role, User

INVITATION_SALT = "accounts.invitation"


class InvitationError(Exception):
    """Why an invitation link cannot be used, in words a person understands."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"id": invitation.pk, "n": invitation.nonce}, salt=INVITATION_SALT)


def invitation_url(invitation: Invitation) -> str:
    return settings.SITE_URL + reverse(
        "accounts:invitation_accept", args=[invitation_token(invitation)]
    )


def invitation_from_token(token: str) -> Invitation:
    """Return the open invitation a link points at, or raise InvitationError saying why not."""
    max_age = settings.INVITATION_MAX_AGE_DAYS * 24 * 3600
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise InvitationError("expired", "This invitation link has expired.") from None
    except signing.BadSignature:
        raise InvitationError("invalid", "This invitation link is not valid.") from None
    invitation = (
        Invitation.objects.select_related("organization")
        .filter(pk=data.get("id"), nonce=data.get("n"))
        .first()
    )
    if invitation is None:
        raise InvitationError(
            "invalid", "This invitation link is not valid any more; a newer one may have been sent."
        )
    if invitation.accepted_at:
        raise InvitationError("used", "This invitation has already been accepted.")
    if invitation.revoked_at:
        raise InvitationError("revoked", "This invitation was withdrawn.")
    if invitation.is_expired:
        raise InvitationError("expired", "This invitation link has expired.")
    return invitation


def membership_ensure(*, organization: Organization, user: User, role: str) -> Membership:
    """Make `user` a member; an existing member keeps the stronger of the two roles."""
    strength = {Role.PARTICIPANT: 0, Role.INSTRUCTOR: 1, Role.MANAGER: 2}
    membership, created = Membership.objects.get_or_create(
        organization=organization, user=user, defaults={"role": role}
    )
    if not created and strength[role] > strength[membership.role]:
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def user_for_email(*, email: str, display_name: str = "") -> tuple[User, bool]:
    """The account for an address, created without a usable password if there is none yet."""
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user:
        return user, False
    return User.objects.create(
        email=email, display_name=display_name, password=make_password(None)
    ), True


@transaction.atomic
def invitation_create(
    *,
    organization: Organization,
    email: str,
    role: str = Role.PARTICIPANT,
    invited_by: User | None = None,
    display_name: str = "",
    send: bool = True,
) -> Invitation:
    """Invite someone to an organisation, or refresh their open invitation, and email the link."""
    email = email.strip().lower()
    invitation = (
        Invitation.objects.open().filter(organization=organization, email__iexact=email).first()
    )
    if invitation is None:
        invitation = Invitation.objects.create(
            organization=organization,
            email=email,
            role=role,
            invited_by=invited_by,
            display_name=display_name,
            expires_at=Invitation.default_expiry(),
        )
    if send:
        invitation_send(invitation=invitation)
    return invitation


def invitation_send(*, invitation: Invitation) -> None:
    from notifications.services import email_from_template

    email_from_template(
        key=f"invitation:{invitation.pk}:{invitation.nonce}",
        user=None,
        to_email=invitation.email,
        template="invitation",
        context={
            "invitation": invitation,
            "organization": invitation.organization,
            "inviter": invitation.invited_by,
            "accept_url": invitation_url(invitation),
            "expires_at": invitation.expires_at,
        },
    )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Attach `user` to the organisation and use the invitation up (a second accept fails)."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at:
        raise InvitationError("used", "This invitation has already been accepted.")
    membership = membership_ensure(organization=locked.organization, user=user, role=locked.role)
    locked.accepted_at = timezone.now()
    locked.accepted_by = user
    locked.save(update_fields=["accepted_at", "accepted_by"])
    if not user.display_name and locked.display_name:
        user.display_name = locked.display_name
        user.save(update_fields=["display_name"])
    return membership
