"""A mention in Chromium: picked from the autocomplete by keyboard, seen by the mentioned person."""

import uuid

from playwright.sync_api import expect

from discussions import posting
from discussions.models import Mention
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD


def test_it_mentions_a_member_picked_with_the_keyboard(page, world):
    world.groupmate.display_name = "Ana Lima"
    world.groupmate.save(update_fields=["display_name"])
    thread = posting.thread_start(
        cohort=world.cohort,
        study_group=None,
        author=world.instructor,
        kind="question",
        title="Who helped you this week?",
        body="Name them.",
        idempotency_key=uuid.uuid4().hex,
    )
    sign_in(page, world.participant.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/")
    reply = page.get_by_label("Your reply")
    reply.click()
    reply.press_sequentially("Thanks @Li", delay=30)
    option = page.get_by_role("option", name="Ana Lima")
    expect(option).to_be_visible()
    expect(reply).to_have_attribute("aria-expanded", "true")
    reply.press("ArrowDown")
    reply.press("ArrowUp")
    reply.press("Enter")
    expect(reply).to_have_value("Thanks @[Ana Lima] ")
    reply.press_sequentially("for the tip.")
    page.get_by_role("button", name="Post reply").click()
    expect(page.locator("#replies .mention")).to_have_text("@Ana Lima")
    assert Mention.objects.filter(user=world.groupmate).count() == 1

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, world.groupmate.email, PASSWORD)
    page.goto("/notifications/")
    link = page.get_by_role("link", name="mentioned you in “Who helped you this week?”")
    expect(link).to_be_visible()
    link.click()
    expect(page.locator(".mention")).to_have_text("@Ana Lima")
