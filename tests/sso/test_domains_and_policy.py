"""Verified domains, the SSO requirement at sign-in, and the settings page's secret."""

import re
from urllib.parse import urlsplit

from django.core import mail

from sso.models import SsoConnection, SsoDomain
from sso.services import sso_connection_save
from tests.factories import PASSWORD


def _settings_url(world) -> str:
    return f"/org/{world.organization.slug}/sso/"


def test_it_verifies_a_domain_through_a_link_mailed_there(
    client_for, world, django_capture_on_commit_callbacks
):
    client = client_for(world.manager)
    client.post(_settings_url(world) + "domains/", {"domain": "Acme.TEST"})
    claim = SsoDomain.objects.get(organization=world.organization)
    assert (claim.domain, claim.verified_at) == ("acme.test", None)

    refused = client.post(
        _settings_url(world) + f"domains/{claim.pk}/send/",
        {"email": "it@elsewhere.test"},
        follow=True,
    )
    assert "Give an address at acme.test." in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_settings_url(world) + f"domains/{claim.pk}/send/", {"email": "it@acme.test"})
    (message,) = [m for m in mail.outbox if m.to == ["it@acme.test"]]
    link = re.search(r"http://\S+/sso/domains/verify/\S+/", message.body).group(0)

    client.logout()
    path = urlsplit(link).path
    assert "Verify the domain" in client.get(path).content.decode()
    page = client.post(path).content.decode()
    assert "acme.test is verified for Acme Learning" in page
    claim.refresh_from_db()
    assert claim.verified_by_email == "it@acme.test"


def test_it_refuses_public_mail_services_and_domains_verified_elsewhere(client_for, world):
    SsoDomain.objects.create(
        organization=world.other_organization,
        domain="globex.test",
        verified_at=world.organization.created_at,
    )
    client = client_for(world.manager)
    for domain, error in [
        ("gmail.com", "public email service"),
        ("globex.test", "already verified by another organisation"),
        ("not a domain", "Give a domain such as acme.com."),
    ]:
        response = client.post(_settings_url(world) + "domains/", {"domain": domain})
        assert response.status_code == 400
        assert error in response.content.decode()
    assert not SsoDomain.objects.filter(organization=world.organization).exists()


def test_it_keeps_the_secret_encrypted_and_never_shows_it(client_for, world):
    client = client_for(world.manager)
    data = {
        "protocol": "oidc",
        "name": "Acme ID",
        "issuer": "https://login.acme.test/",
        "client_id": "abc",
        "client_secret": "s3cret-value",
        "enabled": "on",
    }
    assert client.post(_settings_url(world), data).status_code == 302
    connection = SsoConnection.objects.get()
    assert connection.issuer == "https://login.acme.test"
    assert "s3cret-value" not in connection.client_secret_encrypted
    assert connection.client_secret() == "s3cret-value"
    page = client.get(_settings_url(world)).content.decode()
    assert "s3cret-value" not in page
    assert "A secret is stored" in page
    # Saving without a secret keeps the stored one.
    client.post(_settings_url(world), {**data, "client_secret": "", "name": "Acme SSO"})
    connection.refresh_from_db()
    assert (connection.name, connection.client_secret()) == ("Acme SSO", "s3cret-value")


def test_it_refuses_password_and_code_sign_in_when_sso_is_required(client, world, verified_domain):
    verified_domain("example.test")
    sso_connection_save(
        organization=world.organization,
        protocol="oidc",
        name="Acme ID",
        enabled=True,
        required=True,
        allow_domain_join=False,
        issuer="https://login.acme.test",
        client_id="abc",
        client_secret="x",
    )
    response = client.post(
        "/accounts/login/", {"login": world.participant.email, "password": PASSWORD}
    )
    page = response.content.decode()
    assert "signs its people in with single sign-on" in page
    assert f'href="/sso/?email={world.participant.email.replace("@", "%40")}"' in page
    assert "_auth_user_id" not in client.session
    code = client.post("/accounts/login/code/", {"email": world.participant.email}).content.decode()
    assert "signs its people in with single sign-on" in code
    assert "Sign in with Acme ID</a>" in code
    assert not mail.outbox
    # Another organisation's people still sign in with their password.
    client.post("/accounts/login/", {"login": world.outsider.email, "password": PASSWORD})
    assert "_auth_user_id" in client.session
