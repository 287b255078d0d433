"""A manager registers an LMS in the browser and reads the values to give its administrator."""

from playwright.sync_api import expect

from lti.models import LtiPlatform
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD


def test_it_registers_an_lms_and_shows_the_tool_values(page, world, live_server):
    sign_in(page, world.manager.email, PASSWORD)
    page.get_by_role("link", name="LMS (LTI)").click()
    expect(page.get_by_text(f"{live_server.url}/lti/login/")).to_be_visible()

    page.get_by_role("button", name="Register the LMS").click()
    expect(page.get_by_text("Please correct the errors below")).to_be_visible()

    page.get_by_label("Name").fill("Acme Moodle")
    page.get_by_label("Issuer (platform ID)").fill("https://moodle.acme.test")
    page.get_by_label("Client ID").fill("tool-123")
    page.get_by_label("Deployment IDs").fill("1\n2")
    page.get_by_label("Authentication request URL (OIDC)").fill("https://moodle.acme.test/auth")
    page.get_by_label("Access token URL").fill("https://moodle.acme.test/token")
    page.get_by_label("Public keyset (JWKS) URL").fill("https://moodle.acme.test/certs")
    page.get_by_role("button", name="Register the LMS").click()

    expect(page.get_by_text("Acme Moodle is registered.")).to_be_visible()
    platform = LtiPlatform.objects.get(organization=world.organization)
    assert platform.deployment_ids == ["1", "2"]
    expect(page.get_by_text(f"{live_server.url}/lti/{platform.pk}/jwks.json")).to_be_visible()
    # The published key is the tool's public key; the private one never leaves the server.
    keys = page.request.get(f"/lti/{platform.pk}/jwks.json").json()["keys"]
    assert keys[0]["kid"] == platform.tool_key_id
    assert "d" not in keys[0]
    expect(page.get_by_text("No course has launched yet.")).to_be_visible()
