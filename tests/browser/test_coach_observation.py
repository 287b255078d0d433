"""A coach opens the one-click link of an observation email on a phone and rates two learning
objectives, leaving one out first and being told so with their note kept."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from coaching.models import Observation
from coaching.services import coaching_plan
from notifications import scheduling
from notifications.models import OutboxMessage
from tests.coaching.conftest import OBJECTIVES, knowledge_check


def test_it_lets_a_coach_rate_two_objectives_on_a_phone_from_the_email(phone, world, travel):
    knowledge_check(world.cohort)
    coaching_plan(cohort=world.cohort)
    travel.to(world.cohort.sessions.get().ends_at + timedelta(days=30, hours=12))
    scheduling.dispatch_all()
    email = OutboxMessage.objects.get(to_email=world.coach.email, subject__contains="How often")
    link = re.search(r"https?://\S+/coaching/observe/\S+/", email.content()["body_text"]).group(0)

    phone.goto(link)
    expect(phone.get_by_role("heading", name=world.participant.name)).to_be_visible()
    first = phone.get_by_role("group", name=OBJECTIVES[0])
    first.get_by_label("A few times").check()
    first.get_by_label(re.compile("Note")).fill("In two 1:1s this month")
    phone.get_by_role("button", name="Save observations").click()
    expect(phone.locator("#error-summary")).to_be_focused()
    second = phone.get_by_role("group", name=OBJECTIVES[1])
    expect(second).to_contain_text("Choose how often you saw this applied.")
    expect(first.get_by_label(re.compile("Note"))).to_have_value("In two 1:1s this month")
    expect(first.get_by_label("A few times")).to_be_checked()

    second.get_by_label("Routinely").check()
    phone.get_by_role("button", name="Save observations").click()
    expect(phone.get_by_text("your observations of")).to_be_visible()
    assert dict(Observation.objects.values_list("objective", "frequency")) == {
        OBJECTIVES[0]: 2,
        OBJECTIVES[1]: 3,
    }
    assert Observation.objects.get(objective=OBJECTIVES[0]).note == "In two 1:1s this month"
    # Nothing on the page is wider than the phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
