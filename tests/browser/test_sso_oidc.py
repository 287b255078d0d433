"""Single sign-on in the browser, through a real OpenID Provider (npm oidc-provider) run locally."""

import pytest
from playwright.sync_api import expect

from accounts.models import Invitation, Membership, Role, User
from sso.models import SsoConnection
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD
from tests.sso.oidc import CLIENT_ID, CLIENT_SECRET, oidc_provider


@pytest.fixture
def issuer(live_server, settings):
    # The test server speaks plain http; allauth would otherwise build an https redirect URI.
    settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
    with oidc_provider(f"{live_server.url}/accounts/oidc/oidc-acme/login/callback/") as url:
        yield url


def _configure_sso(page, issuer: str) -> None:
    """The manager sets up OpenID Connect, verifies their domain, tests it and requires it."""
    page.goto("/")
    page.get_by_role("link", name="Single sign-on").click()
    expect(page.get_by_role("heading", name="Single sign-on")).to_be_visible()
    expect(page.get_by_text("/accounts/oidc/oidc-acme/login/callback/")).to_be_visible()
    page.get_by_label("OpenID Connect", exact=True).check()
    page.get_by_label("Button label").fill("Acme ID")
    page.get_by_label("Issuer URL (OpenID Connect)").fill(issuer)
    page.get_by_label("Client ID (OpenID Connect)").fill(CLIENT_ID)
    page.get_by_label("Client secret (OpenID Connect)").fill(CLIENT_SECRET)
    page.get_by_role("button", name="Save single sign-on").click()
    expect(page.get_by_text("Single sign-on settings saved")).to_be_visible()
    # The secret is never shown again.
    expect(page.get_by_label("Client secret (OpenID Connect)")).to_have_value("")
    expect(page.get_by_text("A secret is stored. Leave blank to keep it.")).to_be_visible()
    assert CLIENT_SECRET not in page.content()

    page.get_by_role("textbox", name="Email domain").fill("example.test")
    page.get_by_role("button", name="Add domain").click()
    expect(page.get_by_text("example.test is verified: your own address is there.")).to_be_visible()

    page.get_by_role("button", name="Test the connection").click()
    expect(page.get_by_text("The identity provider answered as expected.")).to_be_visible()
    expect(page.get_by_text("Signing keys: 1.", exact=False)).to_be_visible()

    page.get_by_label("Require it for our verified domains", exact=False).check()
    page.get_by_role("button", name="Save single sign-on").click()
    expect(page.get_by_text("Single sign-on settings saved")).to_be_visible()


def _sign_in_at_provider(page, issuer: str, email: str) -> None:
    page.wait_for_url(f"{issuer}/**")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill("anything")
    page.get_by_role("button", name="Sign-in", exact=True).click()
    page.get_by_role("button", name="Continue", exact=True).click()


def test_it_requires_sso_and_signs_a_member_in_through_the_provider(
    page, browser, live_server, world, issuer
):
    sign_in(page, world.manager.email, PASSWORD)
    _configure_sso(page, issuer)
    connection = SsoConnection.objects.get(organization=world.organization)
    assert CLIENT_SECRET not in connection.client_secret_encrypted
    assert connection.client_secret() == CLIENT_SECRET

    participant = browser.new_context(base_url=live_server.url)
    other = participant.new_page()
    sign_in(other, world.participant.email, PASSWORD)
    expect(
        other.get_by_text("signs its people in with single sign-on", exact=False)
    ).to_be_visible()
    other.get_by_role("link", name="Sign in with Acme ID").click()
    other.get_by_role("button", name="Sign in with Acme ID").click()
    _sign_in_at_provider(other, issuer, world.participant.email)
    expect(other.get_by_role("heading", name="Your cohorts")).to_be_visible()
    assert world.participant.socialaccount_set.get().provider == "oidc-acme"
    participant.close()


def test_it_signs_an_invitee_in_with_the_sso_page_and_uses_their_invitation(page, world, issuer):
    sign_in(page, world.manager.email, PASSWORD)
    _configure_sso(page, issuer)
    page.get_by_role("button", name="Sign out").click()
    invitation = Invitation.objects.create(
        organization=world.organization,
        email="newcomer@example.test",
        role=Role.PARTICIPANT,
        expires_at=Invitation.default_expiry(),
    )

    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with single sign-on").click()
    page.get_by_label("Your work email address").fill("newcomer@example.test")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Sign in with Acme ID").click()
    _sign_in_at_provider(page, issuer, "newcomer@example.test")
    expect(page.get_by_role("heading", name="Welcome, Person newcomer")).to_be_visible()
    user = User.objects.get(email="newcomer@example.test")
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert Membership.objects.filter(organization=world.organization, user=user).exists()
