"""A participant's home page answers "what should I do now", in Chromium, on a phone too."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from discussions import posting
from notifications import scheduling
from socialtraining import clock
from sparks import planning
from sparks.models import Delivery, Spark
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD


@pytest.mark.parametrize("screen", ["page", "phone"])
def test_it_shows_the_spark_and_the_new_thread_waiting_and_leads_to_them(request, screen, world):
    page = request.getfixturevalue(screen)
    spark = Spark.objects.create(
        cohort=world.cohort, question="What will you try this week?", offset_days=0
    )
    planning.sparks_plan(cohort=world.cohort)
    Delivery.objects.update(due_at=clock.now() - timedelta(minutes=1))
    scheduling.run_now("spark_delivery", list(Delivery.objects.values_list("pk", flat=True)))
    thread = posting.thread_start(
        cohort=world.cohort,
        study_group=None,
        author=world.instructor,
        kind="question",
        title="Which feedback landed best?",
        body="Tell us.",
        idempotency_key="home-test",
    )
    sign_in(page, world.participant.email, PASSWORD)
    waiting = page.locator("#sparks-waiting")
    expect(waiting).to_contain_text("What will you try this week?")
    expect(page.locator("#threads-waiting")).to_contain_text("Which feedback landed best?")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    waiting.get_by_role("link", name="What will you try this week?").click()
    expect(page.get_by_label("Your answer")).to_be_visible()
    page.go_back()
    page.locator("#threads-waiting").get_by_role("link", name=thread.title).click()
    expect(page.get_by_role("heading", name=thread.title)).to_be_visible()
    assert spark.deliveries.filter(participant=world.participant).exists()
