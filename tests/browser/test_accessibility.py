"""axe-core on every main page of every role (manager, instructor, participant, coach) at 1280 and
390 px.

The pages are the demo organisation's (`seed_demo`, seeded once per run: three cohorts in
different phases with their discussions, surveys, sparks and dashboards), plus three sparks
waiting for the demo participant (one right answer, several, open) and one already answered, so
each state of the answer page is checked (tests/browser/demo_pages.py). Every page keeps the
site's Content Security Policy; axe-core comes from the app's own static files
(tests/browser/axe.py). Each role at each width is a test of its own, so the workers share the
sweep; the run's count of combinations is printed in the summary.
"""

import pytest

from demo.seeding import PASSWORD
from tests.browser import axe
from tests.browser.conftest import sign_in
from tests.browser.demo_pages import EMAILS, settled

WIDTHS = (1280, 390)


@pytest.mark.parametrize("width", WIDTHS, ids=lambda width: f"{width}px")
@pytest.mark.parametrize("email", EMAILS, ids=lambda email: email.split("@")[0])
def test_every_main_page_of_every_role_has_no_serious_or_critical_violation(
    browser, live_server, demo_pages, axe_served, email, width
):
    role = email.split("@")[0]
    found: list[str] = []
    checked = len(axe.TALLY.checked)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, email, PASSWORD)
        for visited in demo_pages[email]:
            response = page.goto(visited.url)
            assert response.status == 200, (role, visited.name, response.status)
            # The page keeps the policy people get: scripts from the site itself only.
            assert "script-src 'self'" in response.headers["content-security-policy"]
            settled(page)
            if visited.then:
                visited.then(page)
            found += axe.audit(page, role=role, name=visited.name)
    finally:
        context.close()
    assert len(axe.TALLY.checked) - checked == len(demo_pages[email])
    assert found == []
