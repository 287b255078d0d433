"""Writes and checks of single sign-on: connections, domains, who an identity provider admits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import requests
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse

from accounts.models import Invitation, Membership, Organization, Role, User
from accounts.services import invitation_accept, membership_ensure
from socialtraining import clock, clock_signing, encryption
from sso.models import Protocol, SsoConnection, SsoDomain

DOMAIN_LINK_SALT = "sso.domain-verification"
DOMAIN_LINK_MAX_AGE = timedelta(days=3)

# Nobody's organisation owns these: verifying one would let its identity provider speak for
# millions of strangers' accounts.
PUBLIC_EMAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "ymail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "yandex.com",
        "zoho.com",
        "fastmail.com",
        "orange.fr",
        "free.fr",
        "laposte.net",
    }
)


class SsoError(Exception):
    """Why an SSO step cannot go on, in words a person understands."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


# --- Connections ---


@transaction.atomic
def sso_connection_save(
    *,
    organization: Organization,
    protocol: str,
    name: str,
    enabled: bool,
    required: bool,
    allow_domain_join: bool,
    issuer: str = "",
    client_id: str = "",
    client_secret: str = "",
    idp_entity_id: str = "",
    idp_metadata_url: str = "",
    idp_sso_url: str = "",
    idp_certificate: str = "",
) -> SsoConnection:
    """Create or change the organisation's connection; a blank secret keeps the stored one."""
    connection = SsoConnection.objects.select_for_update().filter(
        organization=organization
    ).first() or SsoConnection(organization=organization)
    connection.protocol = protocol
    connection.name = name
    connection.enabled = enabled
    connection.required = required
    connection.allow_domain_join = allow_domain_join
    connection.issuer = issuer
    connection.client_id = client_id
    if client_secret:
        connection.client_secret_encrypted = encryption.encrypt(client_secret)
    connection.idp_entity_id = idp_entity_id
    connection.idp_metadata_url = idp_metadata_url
    connection.idp_sso_url = idp_sso_url
    connection.idp_certificate = idp_certificate
    connection.updated_at = clock.now()
    # A changed connection has not been tested yet.
    connection.last_tested_at = None
    connection.last_test_ok = False
    connection.last_test_report = ""
    connection.save()
    return connection


def _fetch_json(url: str) -> dict:
    response = requests.get(url, timeout=settings.SSO_FETCH_TIMEOUT_SECONDS)
    response.raise_for_status()
    return response.json()


def _test_oidc(connection: SsoConnection) -> list[str]:
    issuer = connection.issuer.rstrip("/")
    config = _fetch_json(issuer + "/.well-known/openid-configuration")
    lines = [f"Discovery document found at {issuer}/.well-known/openid-configuration."]
    if config.get("issuer", "").rstrip("/") != issuer:
        raise SsoError(
            f"The provider calls itself {config.get('issuer')!r}, not {issuer!r}: "
            "give its issuer URL exactly."
        )
    for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not config.get(endpoint):
            raise SsoError(f"The discovery document has no {endpoint}.")
    keys = _fetch_json(config["jwks_uri"]).get("keys") or []
    if not keys:
        raise SsoError("The provider's key set (jwks_uri) holds no keys.")
    lines.append(f"Signing keys: {len(keys)}.")
    if not connection.client_id or not connection.has_secret:
        raise SsoError("Enter the client ID and secret the provider gave you.")
    connection.client_secret()
    lines.append("Client ID and secret are stored.")
    return lines


def _certificate_check(pem: str) -> str:
    from cryptography import x509

    body = "".join(line for line in pem.strip().splitlines() if line and "CERTIFICATE" not in line)
    text = f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"
    try:
        certificate = x509.load_pem_x509_certificate(text.encode())
    except ValueError:
        raise SsoError("The certificate is not a PEM X.509 certificate.") from None
    if certificate.not_valid_after_utc <= clock.now():
        raise SsoError(
            f"The certificate expired on {certificate.not_valid_after_utc:%d %b %Y}: ask for the "
            "identity provider's current one."
        )
    return f"Signing certificate valid until {certificate.not_valid_after_utc:%d %b %Y}."


def _test_saml(connection: SsoConnection) -> list[str]:
    from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

    if connection.idp_metadata_url:
        try:
            parsed = OneLogin_Saml2_IdPMetadataParser.parse_remote(
                connection.idp_metadata_url,
                entity_id=connection.idp_entity_id or None,
                timeout=settings.SSO_FETCH_TIMEOUT_SECONDS,
            )
        except requests.RequestException:
            # Unreachable: reported as such by sso_connection_test.
            raise
        except Exception as exc:
            # python3-saml raises plain exceptions for XML that is not IdP metadata.
            raise SsoError(f"The metadata could not be read: {exc}") from None
        idp = parsed.get("idp") or {}
        if not idp.get("entityId"):
            raise SsoError(
                "No identity provider with that entity ID in the metadata."
                if connection.idp_entity_id
                else "The metadata describes no identity provider."
            )
        if not (idp.get("singleSignOnService") or {}).get("url"):
            raise SsoError("The metadata gives no sign-in (SingleSignOnService) URL.")
        lines = [f"Metadata read: identity provider {idp['entityId']}."]
        certificate = idp.get("x509cert") or next(
            iter((idp.get("x509certMulti") or {}).get("signing") or []), ""
        )
        if not certificate:
            raise SsoError("The metadata holds no signing certificate.")
        lines.append(_certificate_check(certificate))
        return lines
    return [
        f"Identity provider {connection.idp_entity_id}, sign-in at {connection.idp_sso_url}.",
        _certificate_check(connection.idp_certificate),
    ]


def sso_connection_test(*, connection: SsoConnection) -> SsoConnection:
    """Read the provider's published configuration and keep what was found, or why it failed.

    It fetches the URL the manager gave (the OIDC discovery document and key set, or the SAML
    metadata) from the server, as sign-in itself will.
    """
    try:
        lines = (
            _test_oidc(connection)
            if connection.protocol == Protocol.OIDC
            else _test_saml(connection)
        )
        ok = True
    except SsoError as exc:
        lines, ok = [exc.message], False
    except (requests.RequestException, ValueError) as exc:
        lines, ok = [f"The provider could not be reached or answered oddly: {exc}"], False
    except encryption.SecretUnreadable as exc:
        lines, ok = [str(exc)], False
    connection.last_tested_at = clock.now()
    connection.last_test_ok = ok
    connection.last_test_report = "\n".join(lines)
    connection.save(update_fields=["last_tested_at", "last_test_ok", "last_test_report"])
    return connection


def connection_for_provider_id(provider_id: str) -> SsoConnection | None:
    protocol, _, slug = provider_id.partition("-")
    return (
        SsoConnection.objects.select_related("organization")
        .filter(protocol=protocol, organization__slug=slug, enabled=True)
        .first()
    )


def _connections_for_domain_of(email: str) -> QuerySet[SsoConnection]:
    """The enabled connections of the organisation that verified this address's domain."""
    domain = email_domain(email)
    if not domain:
        return SsoConnection.objects.none()
    return SsoConnection.objects.select_related("organization").filter(
        enabled=True,
        organization__sso_domains__domain__iexact=domain,
        organization__sso_domains__verified_at__isnull=False,
    )


def connection_requiring_sso(email: str) -> SsoConnection | None:
    """The enabled connection that requires SSO for this address's verified domain, if any."""
    return _connections_for_domain_of(email).filter(required=True).first()


def connection_for_email(email: str) -> SsoConnection | None:
    """The enabled connection of the organisation that verified this address's domain."""
    return _connections_for_domain_of(email).first()


# --- Domains ---


def _user_holds_verified_address_at(user: User, domain: str) -> str:
    from allauth.account.models import EmailAddress

    address = (
        EmailAddress.objects.filter(user=user, verified=True, email__iendswith="@" + domain)
        .values_list("email", flat=True)
        .first()
    )
    return address or ""


def _domain_verified_elsewhere(domain: str, organization: Organization) -> bool:
    return SsoDomain.objects.verified(domain).exclude(organization=organization).exists()


@transaction.atomic
def sso_domain_add(*, organization: Organization, domain: str, added_by: User) -> SsoDomain:
    """Claim a domain; verified at once when the manager's own verified address is there."""
    domain = domain.strip().lower()
    if domain in PUBLIC_EMAIL_DOMAINS:
        raise SsoError(f"{domain} is a public email service: no organisation can claim it.")
    if _domain_verified_elsewhere(domain, organization):
        raise SsoError(f"{domain} is already verified by another organisation.")
    try:
        with transaction.atomic():
            claim = SsoDomain.objects.create(organization=organization, domain=domain)
    except IntegrityError:
        raise SsoError(f"{domain} is already in the list.") from None
    own = _user_holds_verified_address_at(added_by, domain)
    if own:
        _domain_mark_verified(claim, email=own)
    return claim


def _domain_mark_verified(claim: SsoDomain, *, email: str) -> None:
    claim.verified_at = clock.now()
    claim.verified_by_email = email
    try:
        with transaction.atomic():
            claim.save(update_fields=["verified_at", "verified_by_email"])
    except IntegrityError:
        claim.verified_at = None
        raise SsoError(f"{claim.domain} is already verified by another organisation.") from None


def domain_verification_token(claim: SsoDomain) -> str:
    return clock_signing.dumps({"id": claim.pk, "t": claim.token}, salt=DOMAIN_LINK_SALT)


@transaction.atomic
def sso_domain_verification_send(*, claim: SsoDomain, email: str, sent_by: User) -> SsoDomain:
    """Mail a link to an address at the domain; opening it proves the organisation has a mailbox
    there. A new link voids the last one."""
    from notifications.emails import email_render
    from notifications.outbox import outbox_enqueue

    email = email.strip().lower()
    if email_domain(email) != claim.domain:
        raise SsoError(f"Give an address at {claim.domain}.")
    if claim.verified_at:
        raise SsoError(f"{claim.domain} is verified already.")
    claim.token = SsoDomain._meta.get_field("token").default()
    claim.verification_sent_to = email
    claim.save(update_fields=["token", "verification_sent_to"])
    link = settings.SITE_URL + reverse("sso:domain_verify", args=[domain_verification_token(claim)])
    context = {
        "organization": claim.organization,
        "domain": claim.domain,
        "sender": sent_by,
        "verify_url": link,
    }
    outbox_enqueue(
        key=f"sso-domain:{claim.pk}:{claim.token}",
        to_email=email,
        **email_render(template="sso_domain_verification", context=context),
    )
    return claim


@transaction.atomic
def sso_domain_verify(*, token: str) -> SsoDomain:
    try:
        data = clock_signing.loads(
            token, salt=DOMAIN_LINK_SALT, max_age=DOMAIN_LINK_MAX_AGE.total_seconds()
        )
    except signing.SignatureExpired:
        raise SsoError("This verification link has expired; ask for a new one.") from None
    except signing.BadSignature:
        raise SsoError("This verification link is not valid.") from None
    claim = (
        SsoDomain.objects.select_for_update(of=("self",))
        .select_related("organization")
        .filter(pk=data.get("id"), token=data.get("t"))
        .first()
    )
    if claim is None:
        raise SsoError("This verification link is not valid any more; a newer one was sent.")
    if not claim.verified_at:
        if _domain_verified_elsewhere(claim.domain, claim.organization):
            raise SsoError(f"{claim.domain} is already verified by another organisation.")
        _domain_mark_verified(claim, email=claim.verification_sent_to)
    return claim


# --- Who the identity provider admits ---


@dataclass(frozen=True)
class Admission:
    """How a person signing in through an organisation's provider belongs to it."""

    organization: Organization
    membership: Membership | None = None
    invitation: Invitation | None = None
    join_as: str | None = None


def sso_admission(*, connection: SsoConnection, email: str, user: User | None) -> Admission:
    """Whether `email` may sign in through `connection`, and how it joins; else SsoError.

    The provider speaks only for the domains its organisation verified: otherwise a manager could
    point their own provider at someone else's address and sign in as them.
    """
    organization = connection.organization
    domain = email_domain(email)
    if not email or not organization.sso_domains.verified(domain).exists():
        raise SsoError(
            f"{organization.name}'s single sign-on is for its own verified email domains; "
            f"{email or 'your account'} is not one of them. Sign in with your password or a code."
        )
    membership = (
        Membership.objects.filter(organization=organization, user=user).first() if user else None
    )
    if membership:
        return Admission(organization, membership=membership)
    invitation = (
        Invitation.objects.open()
        .select_related("organization")
        .filter(organization=organization, email__iexact=email)
        .first()
    )
    if invitation:
        return Admission(organization, invitation=invitation)
    if connection.allow_domain_join:
        return Admission(organization, join_as=Role.PARTICIPANT)
    raise SsoError(
        f"You are not a member of {organization.name} yet. Ask one of its managers for an "
        "invitation, then sign in here again."
    )


@transaction.atomic
def sso_admit(*, admission: Admission, user: User) -> Membership:
    """Make the admitted person a member: their invitation is used up, or they join."""
    if admission.membership:
        return admission.membership
    if admission.invitation:
        return invitation_accept(invitation=admission.invitation, user=user)
    return membership_ensure(
        organization=admission.organization, user=user, role=admission.join_as or Role.PARTICIPANT
    )


def domain_claims_for(organization: Organization) -> list[SsoDomain]:
    return list(SsoDomain.objects.filter(organization=organization).order_by("domain"))


def sso_domain_remove(*, claim: SsoDomain) -> None:
    claim.delete()
