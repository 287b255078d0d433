"""Organisations with a verified domain and a SAML or OpenID Connect connection."""

from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client

from socialtraining import clock
from sso.models import Protocol, SsoDomain
from sso.services import sso_connection_save
from tests.conftest import skip_or_fail
from tests.sso.saml_idp import ENTITY_ID, SSO_URL, SamlIdentityProvider


@pytest.fixture(autouse=True)
def _clear_cache():
    # allauth counts rate limits in the cache; LocMemCache would carry counts between tests.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client():
    # python3-saml refuses single-label host names such as "testserver" in its URLs.
    return Client(HTTP_HOST="localhost")


@pytest.fixture
def verified_domain(world):
    def verify(domain: str = "acme.test", organization=None) -> SsoDomain:
        return SsoDomain.objects.create(
            organization=organization or world.organization,
            domain=domain,
            verified_at=clock.now(),
            verified_by_email=f"it@{domain}",
        )

    return verify


@pytest.fixture
def saml_idp(world, client, tmp_path, settings, verified_domain):
    """Acme's SAML connection to a real pysaml2 IdP, which trusts our SP metadata."""
    if not Path("/usr/bin/xmlsec1").exists():
        skip_or_fail(
            "needs Debian's xmlsec1 for the SAML identity provider: apt-get install xmlsec1"
        )
    settings.SITE_URL = "http://localhost"
    verified_domain()

    def start(**options) -> SamlIdentityProvider:
        from tests.sso.saml_idp import self_signed

        _, _, certificate = self_signed("bootstrap", tmp_path)
        connection = sso_connection_save(
            organization=world.organization,
            protocol=Protocol.SAML,
            name="Acme SAML",
            enabled=True,
            required=options.pop("required", False),
            allow_domain_join=options.pop("allow_domain_join", False),
            idp_entity_id=ENTITY_ID,
            idp_sso_url=SSO_URL,
            idp_certificate=certificate,
        )
        metadata = client.get(f"/accounts/saml/{world.organization.slug}/metadata/")
        assert metadata.status_code == 200, metadata.content[:300]
        idp = SamlIdentityProvider(tmp_path, metadata.content.decode(), **options)
        connection.idp_certificate = idp.certificate
        connection.save(update_fields=["idp_certificate"])
        return idp

    return start
