"""The "Test the connection" action against real providers and bad settings."""

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from sso.models import SsoConnection
from sso.services import sso_connection_save
from tests.sso.oidc import CLIENT_ID, CLIENT_SECRET, oidc_provider


def _test(client, world) -> SsoConnection:
    response = client.post(f"/org/{world.organization.slug}/sso/test/", follow=True)
    assert response.status_code == 200
    return SsoConnection.objects.get(organization=world.organization)


def _certificate(days_left: int) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp")])
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=400))
        .not_valid_after(now + dt.timedelta(days=days_left))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
        .decode()
    )


def _oidc(world, issuer: str) -> None:
    sso_connection_save(
        organization=world.organization,
        protocol="oidc",
        name="Acme ID",
        enabled=True,
        required=False,
        allow_domain_join=False,
        issuer=issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )


def test_it_reads_a_real_providers_discovery_document_and_keys(client_for, world):
    client = client_for(world.manager)
    with oidc_provider("http://localhost/callback") as issuer:
        _oidc(world, issuer)
        connection = _test(client, world)
    assert connection.last_test_ok, connection.last_test_report
    assert "Signing keys: 1." in connection.last_test_report


def test_it_says_when_the_issuer_differs_or_cannot_be_reached(client_for, world):
    client = client_for(world.manager)
    with oidc_provider("http://localhost/callback") as issuer:
        # The same server under another name: its discovery document names the real issuer.
        _oidc(world, issuer.replace("127.0.0.1", "localhost"))
        connection = _test(client, world)
    assert not connection.last_test_ok
    assert "give its issuer URL exactly" in connection.last_test_report
    _oidc(world, issuer)
    connection = _test(client, world)
    assert not connection.last_test_ok
    assert "could not be reached" in connection.last_test_report


def test_it_checks_the_saml_certificate_dates(client_for, world):
    client = client_for(world.manager)
    for days_left, ok, words in [
        (30, True, "Signing certificate valid until"),
        (-1, False, "expired"),
    ]:
        sso_connection_save(
            organization=world.organization,
            protocol="saml",
            name="Acme SAML",
            enabled=True,
            required=False,
            allow_domain_join=False,
            idp_entity_id="https://idp.acme.test",
            idp_sso_url="https://idp.acme.test/sso",
            idp_certificate=_certificate(days_left),
        )
        connection = _test(client, world)
        assert connection.last_test_ok is ok
        assert words in connection.last_test_report
    page = client.get(f"/org/{world.organization.slug}/sso/").content.decode()
    assert "Failed on" in page
