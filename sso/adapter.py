"""allauth's social-account adapter: organisations' connections as allauth apps, and who gets in."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import render

from accounts.models import User
from sso.models import Protocol, SsoConnection
from sso.services import (
    SsoError,
    connection_for_provider_id,
    sso_admission,
    sso_admit,
)

SAML_EMAIL_ATTRIBUTES = [
    "urn:oid:0.9.2342.19200300.100.1.3",
    "mail",
    "email",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
]
SAML_NAME_ATTRIBUTES = [
    "urn:oid:2.16.840.1.113730.3.1.241",
    "displayName",
    "http://schemas.microsoft.com/identity/claims/displayname",
]


def social_app_for(connection: SsoConnection) -> SocialApp:
    """An unsaved allauth app for the connection; the secret is decrypted only here, in memory."""
    slug = connection.organization.slug
    if connection.protocol == Protocol.SAML:
        idp = {"entity_id": connection.idp_entity_id}
        if connection.idp_metadata_url:
            idp["metadata_url"] = connection.idp_metadata_url
        else:
            idp.update(sso_url=connection.idp_sso_url, x509cert=connection.idp_certificate)
        return SocialApp(
            provider="saml",
            provider_id=connection.provider_id,
            name=connection.name,
            client_id=slug,
            settings={
                "idp": idp,
                "sp": {"entity_id": connection.saml_metadata_url()},
                "attribute_mapping": {
                    "uid": ["urn:oasis:names:tc:SAML:attribute:subject-id"],
                    "email": SAML_EMAIL_ATTRIBUTES,
                    "name": SAML_NAME_ATTRIBUTES,
                },
                "use_nameid_for_email": False,
                "advanced": {
                    "strict": True,
                    # Every assertion signed by the IdP's key; responses to requests we did not
                    # make (IdP-initiated, or replayed after their state was used) refused.
                    "want_assertion_signed": True,
                    "reject_idp_initiated_sso": True,
                    "allow_single_label_domains": settings.DEBUG,
                },
            },
        )
    return SocialApp(
        provider="openid_connect",
        provider_id=connection.provider_id,
        name=connection.name,
        client_id=connection.client_id,
        secret=connection.client_secret(),
        # PKCE on every sign-in: OIDC providers expect it, oidc-provider requires it.
        settings={"server_url": connection.issuer, "oauth_pkce_enabled": True},
    )


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request: HttpRequest, provider=None, client_id=None) -> list[SocialApp]:
        """The connection asked for, never all of them: the sign-in page lists no customers."""
        connections = SsoConnection.objects.select_related("organization").filter(enabled=True)
        if provider in ("openid_connect", "saml"):
            connections = connections.filter(protocol=provider[:4])
        elif provider:
            protocol, _, slug = provider.partition("-")
            connections = connections.filter(protocol=protocol, organization__slug=slug)
        else:
            return []
        if client_id:
            field = "organization__slug" if provider == "saml" else "client_id"
            connections = connections.filter(**{field: client_id})
        elif provider in ("openid_connect", "saml"):
            return []
        return [social_app_for(connection) for connection in connections]

    def _connection(self, sociallogin: SocialLogin) -> SsoConnection:
        connection = connection_for_provider_id(sociallogin.account.provider)
        if connection is None:
            raise ImmediateHttpResponse(
                self._refusal(None, "This sign-in service is switched off.")
            )
        return connection

    def _refusal(self, request, message: str):
        return render(request, "sso/refused.html", {"message": message}, status=403)

    def _email(self, sociallogin: SocialLogin) -> str:
        email = (sociallogin.user.email if sociallogin.user else "") or next(
            (address.email for address in sociallogin.email_addresses), ""
        )
        return (email or "").strip().lower()

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """Admit only addresses of the organisation's verified domains, and link by address."""
        connection = self._connection(sociallogin)
        email = self._email(sociallogin)
        user = sociallogin.user if sociallogin.is_existing else None
        if user is None and email:
            user = User.objects.filter(email__iexact=email).first()
        try:
            admission = sso_admission(connection=connection, email=email, user=user)
        except SsoError as error:
            raise ImmediateHttpResponse(self._refusal(request, error.message)) from None
        # The organisation's provider vouches for addresses of the domains it verified.
        sociallogin.email_addresses = [EmailAddress(email=email, verified=True, primary=True)]
        sociallogin.state["sso_admission"] = {"connection": connection.pk}
        if user is not None:
            sso_admit(admission=admission, user=user)
            # The address is now proven (a roster or LMS account may not have had it recorded).
            if not EmailAddress.objects.filter(user=user, email__iexact=email).update(
                verified=True
            ):
                has_primary = EmailAddress.objects.filter(user=user, primary=True).exists()
                EmailAddress.objects.create(
                    user=user, email=email, verified=True, primary=not has_primary
                )
            if not sociallogin.is_existing:
                sociallogin.connect(request, user)

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        # pre_social_login admitted this person (invitee or domain join) or refused them.
        return "sso_admission" in sociallogin.state

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data):
        user = super().populate_user(request, sociallogin, data)
        name = data.get("name") or " ".join(
            part for part in (data.get("first_name"), data.get("last_name")) if part
        )
        user.display_name = (name or "")[:150]
        if user.email:
            user.email = user.email.lower()
        return user

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form=None):
        connection = self._connection(sociallogin)
        try:
            admission = sso_admission(
                connection=connection, email=self._email(sociallogin), user=None
            )
        except SsoError as error:
            raise ImmediateHttpResponse(self._refusal(request, error.message)) from None
        user = super().save_user(request, sociallogin, form)
        sso_admit(admission=admission, user=user)
        return user
