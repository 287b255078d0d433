"""An instructor schedules a provocative question before class, in Chromium."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from discussions.models import Prompt
from socialtraining import clock
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD


def test_it_schedules_a_question_two_days_before_the_first_session(page, world):
    berlin = ZoneInfo("Europe/Berlin")
    world.cohort.time_zone = "Europe/Berlin"
    world.cohort.save(update_fields=["time_zone"])
    start = datetime.combine((clock.now() + timedelta(days=20)).date(), time(10, 0), tzinfo=berlin)
    world.cohort.sessions.update(starts_at=start, ends_at=start + timedelta(hours=4))

    sign_in(page, world.instructor.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/")
    page.get_by_role("link", name="Prompt timeline").click()
    page.get_by_role("button", name="Schedule a prompt").click()
    page.get_by_role("radio", name="Provocative question").check()
    page.get_by_label("Title").fill("When did feedback last change what you did?")
    page.get_by_role("radio", name="Days before the first session").check()
    page.get_by_label("Number of days").fill("2")
    page.get_by_label("At (local time)").fill("08:30")
    page.get_by_role("button", name="Schedule prompt").click()

    day = start.date() - timedelta(days=2)
    local = f"{day:%a} {day.day} {day:%b %Y}, 08:30"
    expect(page.get_by_role("heading", name="Prompt timeline")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="When did feedback last change what you did?")
    expect(row).to_contain_text(local)
    expect(row).to_contain_text("Scheduled")
    expect(row).to_contain_text("2 days before the first session, at 08:30")
    prompt = Prompt.objects.get()
    assert prompt.due_at == datetime.combine(day, time(8, 30), tzinfo=berlin)


def test_it_ticks_post_before_you_see_replies_by_its_checkbox_under_its_help_text(page, world):
    sign_in(page, world.instructor.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/prompts/new/")
    box = page.get_by_role("checkbox", name="Post before you see replies")
    help_text = page.get_by_text("Participants see their peers' replies only after posting")
    expect(box).to_have_accessible_description(
        "Participants see their peers' replies only after posting their own."
    )
    box_area, help_area = box.bounding_box(), help_text.bounding_box()
    # The help text starts below the checkbox, so it neither covers it nor takes its clicks.
    assert help_area["y"] >= box_area["y"] + box_area["height"]
    box.click()
    expect(box).to_be_checked()
    help_text.click()
    expect(box).to_be_checked()
    page.get_by_role("radio", name="Provocative question").check()
    page.get_by_label("Title").fill("Which feedback changed you?")
    page.get_by_role("button", name="Schedule prompt").click()
    expect(page.get_by_role("heading", name="Prompt timeline")).to_be_visible()
    assert Prompt.objects.get().post_first is True
