"""From the LMS to the cohort in the browser: deep linking a round, then a learner's launch.

The LMS is the suite's platform (tests/lti/platform.py): its course page links to the tool, its
authorisation endpoint signs the launch with its own key and posts it, and its return endpoint
checks the deep-linking answer against the tool's published key.
"""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from cohorts.models import Enrolment
from lti.registrations import lti_platform_save
from lti.tool import public_jwk
from socialtraining import clock
from sso.models import SsoDomain
from surveys.models import Round, RoundStatus, Survey
from tests.lti.platform import INSTRUCTOR, LTI, SuitePlatform

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"


@pytest.fixture
def lms(world, live_server):
    # localhost like the live server: one site, so the login step's state cookie comes back
    # with the launch over plain http (production's https uses SameSite=None instead).
    platform = SuitePlatform(host="localhost")
    platform.tool_url = live_server.url
    registration = {**platform.registration(), "deployment_ids": [platform.deployment_id]}
    platform.tool_jwk = public_jwk(
        lti_platform_save(organization=world.organization, **registration)
    )
    # The organisation verified its people's domain, so their LMS accounts link to them.
    SsoDomain.objects.create(
        organization=world.organization, domain="example.test", verified_at=clock.now()
    )
    yield platform
    platform.close()


def test_it_places_a_round_in_the_course_and_opens_it_for_a_learner(
    page, browser, world, lms, live_server
):
    now = clock.now()
    round_ = Round.objects.create(
        survey=Survey.objects.create(cohort=world.cohort, title="Knowledge check"),
        cohort=world.cohort,
        label="Right after",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=6),
        status=RoundStatus.OPEN,
    )
    lms.next_claims = {
        "sub": "teacher-1",
        "email": world.instructor.email,
        LTI + "message_type": "LtiDeepLinkingRequest",
        LTI + "roles": [INSTRUCTOR],
        DL: {
            "deep_link_return_url": f"{lms.url}/return",
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["window"],
        },
    }
    page.goto(f"{lms.url}/course")
    page.get_by_role("link", name="Social training").click()
    expect(page.get_by_role("heading", name="Add to your course")).to_be_visible()
    page.get_by_label("Survey round: Knowledge check, Right after").check()
    page.get_by_role("button", name="Add to the course").click()
    expect(page.get_by_role("heading", name="Added to the course")).to_be_visible()
    expect(page.get_by_text("Feedback that lands: Right after")).to_be_visible()
    (item,) = lms.returned_items

    # A learner of the course follows the placed link.
    lms.next_claims = {
        "sub": "learner-7",
        "email": "newcomer@example.test",
        "name": "Nia Newcomer",
        LTI + "custom": item["custom"],
    }
    learner = browser.new_context(base_url=live_server.url).new_page()
    learner.goto(f"{lms.url}/course")
    learner.get_by_role("link", name="Social training").click()
    expect(learner.get_by_role("heading", name="Knowledge check")).to_be_visible()
    expect(learner.get_by_role("link", name="Nia Newcomer")).to_be_visible()
    assert Enrolment.objects.filter(
        cohort=world.cohort, user__email="newcomer@example.test"
    ).exists()
    assert learner.url.endswith(f"/cohorts/{world.cohort.pk}/surveys/rounds/{round_.pk}/")
    learner.context.close()
