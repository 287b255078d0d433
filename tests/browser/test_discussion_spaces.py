"""Study-group spaces in Chromium: a group's conversation stays inside the group."""

from playwright.sync_api import expect

from discussions.models import Thread
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD


def test_it_keeps_a_study_group_thread_invisible_to_another_group(page, world):
    sign_in(page, world.participant.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/discussions/")
    page.get_by_role("link", name="Study group Blue").click()
    page.get_by_role("button", name="Start a thread").click()
    page.get_by_label("Title").fill("Blue only: our first experiment")
    page.get_by_label("Your post").fill("Let's each try one written stand-up this week.")
    page.get_by_role("button", name="Post").click()
    expect(page.get_by_role("heading", name="Blue only: our first experiment")).to_be_visible()
    thread = Thread.objects.get(title="Blue only: our first experiment")
    assert thread.study_group == world.group

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, world.other_group_participant.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/discussions/")
    expect(page.get_by_role("link", name="Study group Green")).to_be_visible()
    expect(page.get_by_role("link", name="Study group Blue")).to_have_count(0)
    page.get_by_role("link", name="Study group Green").click()
    expect(page.get_by_text("Blue only: our first experiment")).to_have_count(0)

    response = page.goto(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="We could not find that page")).to_be_visible()
    response = page.goto(f"/cohorts/{world.cohort.pk}/groups/{world.group.pk}/discussions/")
    assert response.status == 404
