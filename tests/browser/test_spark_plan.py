"""An instructor plans a knowledge spark in Chromium and follows its answers from the timeline."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from notifications import scheduling
from socialtraining import clock
from sparks import answering
from sparks.models import Delivery, Spark, SparkKind
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD


# On a desk and on a 390 px phone: instructors check their sparks between sessions too.
@pytest.mark.parametrize("screen", ["page", "phone"])
def test_it_lets_an_instructor_plan_a_spark_and_see_an_answer_come_back(
    request, screen, world, travel
):
    page = request.getfixturevalue(screen)
    # Seen from 1 February 2027, before the workshop below, whatever day the suite runs.
    travel.to(datetime(2027, 2, 1, 12, 0, tzinfo=UTC))
    cohort = world.cohort
    cohort.time_zone = "America/New_York"
    cohort.save(update_fields=["time_zone"])
    # The workshop ends 17:00 in New York on Tuesday 2 March 2027.
    cohort.sessions.update(
        starts_at=datetime(2027, 3, 2, 14, 0, tzinfo=UTC),
        ends_at=datetime(2027, 3, 2, 22, 0, tzinfo=UTC),
    )
    sign_in(page, world.instructor.email, PASSWORD)
    page.goto(f"/cohorts/{cohort.pk}/")
    page.get_by_role("navigation", name="Cohort").get_by_role("link", name="Sparks").click()
    expect(page.get_by_text("No sparks yet.")).to_be_visible()
    page.get_by_role("button", name="Write a spark").click()

    page.get_by_role("radio", name="Knowledge question").check()
    page.get_by_label("Question", exact=True).fill("What does the B in SBI stand for?")
    page.get_by_label("Choice 1", exact=True).fill("Belief")
    page.get_by_label("Choice 2", exact=True).fill("Behaviour")
    page.get_by_label("Days after the workshop's last session").fill("2")
    # No correct answer ticked: refused, with a reason, and nothing typed is lost.
    page.get_by_role("button", name="Add spark").click()
    expect(page.get_by_role("alert")).to_contain_text("Tick the correct answer")
    expect(page.get_by_label("Choice 2", exact=True)).to_have_value("Behaviour")
    page.get_by_label("Choice 2 is correct").check()
    page.get_by_label("Explanation").fill("Situation, Behaviour, Impact.")
    page.get_by_label("Learning objective (optional)").fill("Giving feedback")
    page.get_by_role("button", name="Add spark").click()

    expect(page.get_by_text("Spark “What does the B in SBI stand for?” added")).to_be_visible()
    spark = Spark.objects.get(cohort=cohort)
    assert spark.kind == SparkKind.KNOWLEDGE
    row = page.locator(f"#spark-{spark.pk}")
    # Two days after Tuesday 2 March is Thursday 4 March, in the 09:00 to 17:00 window in New York.
    expect(row).to_contain_text("Planned Thu 4 Mar 2027")
    expect(row.locator('[data-count="recipients"]')).to_have_text("3")
    expect(row.locator('[data-count="answered"]')).to_have_text("0")

    # The day comes: the dispatcher sends the participant's ask, and they answer it rightly.
    ask = Delivery.objects.get(spark=spark, participant=world.participant)
    Delivery.objects.filter(pk=ask.pk).update(due_at=clock.now() - timedelta(minutes=1))
    assert scheduling.run_now("spark_delivery", [ask.pk]) == 1
    ask.refresh_from_db()
    right = spark.choices.get(is_correct=True)
    answering.spark_answer(delivery=ask, choice_ids=[right.pk], confidence=4)

    page.reload()
    row = page.locator(f"#spark-{spark.pk}")
    expect(row.locator('[data-count="delivered"]')).to_have_text("1")
    expect(row.locator('[data-count="answered"]')).to_have_text("1")
    expect(row.locator('[data-count="right-rate"]')).to_have_text("100%")
    # Asks (repeats included) and people are told apart; a sent spark's actions say they touch
    # only the asks still to come.
    expect(row.get_by_text("People asked")).to_be_visible()
    expect(row.get_by_text("Asks sent (repeats included)")).to_be_visible()
    expect(
        row.get_by_role("button", name="Cancel the asks to come")
    ).to_have_accessible_description(
        "Sent asks stay as they are: cancelling or moving changes only the asks still to come."
    )
    expect(row.get_by_role("button", name="Reschedule the asks to come")).to_be_visible()
    row.get_by_role("link", name="cohort thread").click()
    expect(page.get_by_role("heading", name="What does the B in SBI stand for?")).to_be_visible()
    answer = page.locator(f"#post-{ask.answer.post_id}")
    expect(answer).to_contain_text("My answer: Behaviour")
    expect(answer).to_contain_text(world.participant.name)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_it_starts_the_boosters_from_today_after_a_workshop_long_past(page, world):
    end = clock.now() - timedelta(days=61)
    world.cohort.sessions.update(starts_at=end - timedelta(hours=3), ends_at=end)
    sign_in(page, world.instructor.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/sparks/")
    page.get_by_role("button", name="Add the 2 + 2 + 2 boosters").click()
    expect(page.get_by_text("The workshop ended 61 days ago.")).to_be_visible()
    expect(page.get_by_text("nobody would get them")).to_be_visible()
    page.get_by_role("button", name="Start the boosters from today").click()
    expect(page.get_by_text("3 booster sparks added, days +63, +75, +121")).to_be_visible()
    for spark in Spark.objects.all():
        expect(page.locator(f"#spark-{spark.pk}")).to_contain_text("Planned")
        assert Delivery.objects.filter(spark=spark).count() == 3
