"""An organisation's single sign-on: one identity provider and the email domains it speaks for."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

from accounts.models import Organization
from socialtraining import clock, encryption


class Protocol(models.TextChoices):
    OIDC = "oidc", "OpenID Connect"
    SAML = "saml", "SAML 2.0"


class SsoConnection(models.Model):
    """How an organisation's people sign in through its identity provider.

    allauth never reads this table directly: `sso.adapter.SocialAccountAdapter.list_apps` builds an
    allauth `SocialApp` from it on each request, with the secret decrypted only in memory.
    """

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="sso_connection"
    )
    protocol = models.CharField(max_length=4, choices=Protocol.choices, default=Protocol.OIDC)
    # What the sign-in button says, e.g. "Acme Okta".
    name = models.CharField(max_length=40)
    enabled = models.BooleanField(default=True)
    # OpenID Connect
    issuer = models.URLField("issuer URL", max_length=500, blank=True)
    client_id = models.CharField("client ID", max_length=191, blank=True)
    # Encrypted (socialtraining.encryption); write-only in the form, never rendered.
    client_secret_encrypted = models.TextField(blank=True)
    # SAML 2.0: the identity provider's metadata URL, or its entity id, sign-in URL and certificate.
    idp_entity_id = models.CharField("IdP entity ID", max_length=500, blank=True)
    idp_metadata_url = models.URLField("IdP metadata URL", max_length=500, blank=True)
    idp_sso_url = models.URLField("IdP sign-in URL", max_length=500, blank=True)
    idp_certificate = models.TextField("IdP signing certificate", blank=True)
    # Password and emailed-code sign-in are refused for addresses of the verified domains.
    required = models.BooleanField(default=False)
    # Someone from a verified domain with neither membership nor invitation joins as participant.
    allow_domain_join = models.BooleanField(default=False)
    last_tested_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(default=False)
    last_test_report = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "SSO connection"

    def __str__(self) -> str:
        return f"{self.get_protocol_display()} for {self.organization}"

    @property
    def has_secret(self) -> bool:
        return bool(self.client_secret_encrypted)

    def client_secret(self) -> str:
        return encryption.decrypt(self.client_secret_encrypted)

    @property
    def provider_id(self) -> str:
        """allauth's id for this connection, also `SocialAccount.provider` of linked accounts."""
        return f"{self.protocol}-{self.organization.slug}"

    def login_path(self) -> str:
        slug = self.organization.slug
        if self.protocol == Protocol.SAML:
            return reverse("saml_login", kwargs={"organization_slug": slug})
        return reverse("openid_connect_login", kwargs={"provider_id": self.provider_id})

    def idp_origin(self) -> str:
        """Where the browser is sent to sign in (the page that sends it must allow it in CSP)."""
        from urllib.parse import urlsplit

        if self.protocol == Protocol.SAML:
            url = self.idp_sso_url or self.idp_metadata_url
        else:
            url = self.issuer
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"

    def oidc_redirect_uri(self) -> str:
        """The redirect URI an administrator registers at the OpenID provider."""
        provider_id = f"{Protocol.OIDC}-{self.organization.slug}"
        return settings.SITE_URL + reverse(
            "openid_connect_callback", kwargs={"provider_id": provider_id}
        )

    def saml_acs_url(self) -> str:
        slug = self.organization.slug
        return settings.SITE_URL + reverse("saml_acs", kwargs={"organization_slug": slug})

    def saml_metadata_url(self) -> str:
        slug = self.organization.slug
        return settings.SITE_URL + reverse("saml_metadata", kwargs={"organization_slug": slug})


def _new_token() -> str:
    return secrets.token_urlsafe(24)


class SsoDomainQuerySet(models.QuerySet):
    def verified(self, domain: str | None = None) -> SsoDomainQuerySet:
        """Domains proved by their organisation (this one, in any letter case, when given)."""
        rows = self.filter(verified_at__isnull=False)
        return rows if domain is None else rows.filter(domain__iexact=domain)


class SsoDomain(models.Model):
    """An email domain an organisation claims; its identity provider speaks for it once verified.

    Verified when a manager proves a mailbox at the domain: their own verified address there, or
    a link mailed to an address there. A domain is verified for one organisation at most.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="sso_domains"
    )
    domain = models.CharField(max_length=253)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by_email = models.EmailField(blank=True)
    # The link mailed to prove the domain; a new one voids the last.
    token = models.CharField(max_length=40, default=_new_token)
    verification_sent_to = models.EmailField(blank=True)
    created_at = models.DateTimeField(default=clock.now)

    objects = SsoDomainQuerySet.as_manager()

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(
                Lower("domain"), "organization", name="sso_domain_once_per_organization"
            ),
            models.UniqueConstraint(
                Lower("domain"),
                condition=models.Q(verified_at__isnull=False),
                name="sso_domain_verified_once",
            ),
        ]

    def __str__(self) -> str:
        return self.domain
