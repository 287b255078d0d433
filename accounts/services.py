from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import Invitation, Membership, Organization, Role, User
from socialtraining import clock, clock_signing

INVITATION_SALT = "accounts.invitation"


# A coach who joins a cohort becomes a participant; a participant asked to coach stays one.
ROLE_STRENGTH = {Role.COACH: -1, Role.PARTICIPANT: 0, Role.INSTRUCTOR: 1, Role.MANAGER: 2}


class InvitationError(Exception):
    """Why an invitation link cannot be used, in words a person understands."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


class MembershipError(Exception):
    """Why a membership cannot be changed, in words a person understands."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def invitation_token(invitation: Invitation) -> str:
    return clock_signing.dumps({"id": invitation.pk, "n": invitation.nonce}, salt=INVITATION_SALT)


def invitation_url(invitation: Invitation) -> str:
    return settings.SITE_URL + reverse(
        "accounts:invitation_accept", args=[invitation_token(invitation)]
    )


def invitation_from_token(token: str) -> Invitation:
    """Return the open invitation a link points at, or raise InvitationError saying why not."""
    max_age = settings.INVITATION_MAX_AGE_DAYS * 24 * 3600
    try:
        data = clock_signing.loads(token, salt=INVITATION_SALT, max_age=max_age)
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
    membership, created = Membership.objects.get_or_create(
        organization=organization, user=user, defaults={"role": role}
    )
    if not created and ROLE_STRENGTH[role] > ROLE_STRENGTH[membership.role]:
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
    """Invite someone to an organisation and email the link.

    An address with an open invitation gets that invitation again with a fresh link (older links
    stop working) and the stronger of the two roles.
    """
    email = email.strip().lower()
    unfinished = Invitation.objects.unfinished().filter(
        organization=organization, email__iexact=email
    )
    invitation = unfinished.first()
    if invitation is None:
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    organization=organization,
                    email=email,
                    role=role,
                    invited_by=invited_by,
                    display_name=display_name,
                    expires_at=Invitation.default_expiry(),
                )
        except IntegrityError:
            # Someone invited the same address a moment ago: carry on with theirs.
            invitation = unfinished.get()
        else:
            if send:
                invitation_send(invitation=invitation)
            return invitation
    changed = []
    if ROLE_STRENGTH[role] > ROLE_STRENGTH[invitation.role]:
        invitation.role = role
        changed.append("role")
    if display_name and display_name != invitation.display_name:
        invitation.display_name = display_name
        changed.append("display_name")
    if changed:
        invitation.save(update_fields=changed)
    if send:
        invitation = invitation_resend(invitation=invitation)
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation) -> Invitation:
    """Email a fresh link: a new nonce voids every older link, and the expiry starts again."""
    locked = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("organization", "invited_by")
        .get(pk=invitation.pk)
    )
    if locked.accepted_at:
        raise InvitationError("used", "This invitation has already been accepted.")
    if locked.revoked_at:
        raise InvitationError("revoked", "This invitation was withdrawn; invite the person again.")
    locked.nonce = secrets.token_urlsafe(16)
    locked.expires_at = Invitation.default_expiry()
    locked.save(update_fields=["nonce", "expires_at"])
    invitation_send(invitation=locked)
    return locked


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> Invitation:
    """Withdraw an invitation that has not been accepted; its links stop working."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at:
        raise InvitationError("used", "This invitation has already been accepted.")
    if locked.revoked_at is None:
        locked.revoked_at = clock.now()
        locked.save(update_fields=["revoked_at"])
    invitation.revoked_at = locked.revoked_at
    return invitation


def _invitation_email(invitation: Invitation) -> dict:
    from notifications.emails import email_render

    context = {
        "invitation": invitation,
        "organization": invitation.organization,
        "inviter": invitation.invited_by,
        "accept_url": invitation_url(invitation),
        "expires_at": invitation.expires_at,
    }
    return {
        "key": f"invitation:{invitation.pk}:{invitation.nonce}",
        "to_email": invitation.email,
        **email_render(template="invitation", context=context),
    }


def invitation_send(*, invitation: Invitation) -> None:
    from notifications.outbox import outbox_enqueue

    outbox_enqueue(**_invitation_email(invitation))


def invitations_send(*, invitations: list[Invitation]) -> int:
    """Email many invitations at once (a roster import's chunk), in a constant number of queries."""
    from notifications.outbox import outbox_enqueue_many

    return outbox_enqueue_many([_invitation_email(i) for i in invitations])


def invitation_lock_open(*, invitation: Invitation) -> Invitation:
    """Lock the invitation's row (call inside atomic) and check the followed link still works.

    Between opening the link and submitting the form the invitation may have been accepted in
    another tab, revoked, re-sent (a new nonce voids the old link) or have expired.
    """
    locked = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=invitation.pk)
    )
    if locked.accepted_at:
        raise InvitationError("used", "This invitation has already been accepted.")
    if locked.revoked_at:
        raise InvitationError("revoked", "This invitation was withdrawn.")
    if locked.nonce != invitation.nonce:
        raise InvitationError(
            "invalid", "This invitation link is not valid any more; a newer one was sent."
        )
    if locked.is_expired:
        raise InvitationError("expired", "This invitation link has expired.")
    return locked


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Attach `user` to the organisation and use the invitation up (a second accept fails)."""
    locked = invitation_lock_open(invitation=invitation)
    membership = membership_ensure(organization=locked.organization, user=user, role=locked.role)
    locked.accepted_at = clock.now()
    locked.accepted_by = user
    locked.save(update_fields=["accepted_at", "accepted_by"])
    if not user.display_name and locked.display_name:
        user.display_name = locked.display_name
        user.save(update_fields=["display_name"])
    return membership


def membership_role_change(*, membership: Membership, role: str, changed_by: User) -> Membership:
    """Give a member another role in the organisation.

    Nobody changes their own role, so an organisation always keeps the manager who acts.
    """
    if role not in Role.values:
        raise MembershipError("Choose a role from the list.")
    if membership.user_id == changed_by.pk:
        raise MembershipError("You cannot change your own role; ask another manager to.")
    if membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    return membership
