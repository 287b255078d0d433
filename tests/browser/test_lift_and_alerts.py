"""Does sparking work? An instructor turns on "measure the lift" and reads the result; an
instructor starts a thread from a confident-and-wrong alert. In Chromium, on a desk and a phone."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from cohorts.models import CohortRole
from discussions.models import Thread
from insights.confident_wrong import confident_wrong_scan
from insights.lift_stats import lift_sentence, paired_lift
from sparks.models import LiftAssignment, LiftStudy, Spark, SparkChoice, SparkKind
from tests import factories
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD
from tests.insights.lift_builders import measured_cohort
from tests.insights.test_confident_wrong import TEN_WITH_FOUR_SURE_AND_WRONG, answers


def knowledge_spark(cohort, objective, question):
    spark = Spark.objects.create(
        cohort=cohort,
        kind=SparkKind.KNOWLEDGE,
        question=question,
        objective=objective,
        offset_days=3,
        ask_confidence=True,
        explanation="The situation comes first: where and when.",
    )
    SparkChoice.objects.create(spark=spark, position=0, text="Situation", is_correct=True)
    SparkChoice.objects.create(spark=spark, position=1, text="Behaviour", is_correct=False)
    return spark


@pytest.mark.parametrize("screen", ["page", "phone"])
def test_an_instructor_turns_on_the_lift_and_reads_the_result(request, screen, world, travel):
    page = request.getfixturevalue(screen)
    # Before the world's workshop (a week after this moment), so no spark has gone out yet.
    travel.to(datetime(2027, 2, 1, 12, 0, tzinfo=UTC))
    world.cohort.sessions.update(
        starts_at=datetime(2027, 2, 8, 9, 0, tzinfo=UTC),
        ends_at=datetime(2027, 2, 8, 17, 0, tzinfo=UTC),
    )
    for objective in ("Feedback", "Listening", "Questions", "Silence"):
        knowledge_spark(world.cohort, objective, f"A question on {objective.lower()}")
    sign_in(page, world.instructor.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/sparks/")
    page.get_by_role("link", name="Measure the lift").click()
    expect(page.get_by_role("heading", name="Not measured in this cohort")).to_be_visible()
    page.get_by_role("button", name="Measure the lift").click()
    expect(page.get_by_text("each participant is boosted on half of the 4")).to_be_visible()
    study = LiftStudy.objects.get(cohort=world.cohort)
    table = page.get_by_role("table", name="Who is boosted on what")
    boosted = sorted(
        LiftAssignment.objects.filter(
            study=study, participant=world.participant, boosted=True
        ).values_list("objective", flat=True)
    )
    row = table.get_by_role("row").filter(has_text=world.participant.name)
    expect(row.get_by_role("cell").first).to_have_text(", ".join(boosted))
    expect(table.get_by_role("row")).to_have_count(1 + 3)

    # Months later, in a cohort of forty whose probes came back: the instructor reads the lift.
    travel.to(datetime(2027, 9, 1, 12, 0, tzinfo=UTC))
    measured, probe_answers = measured_cohort(world.organization, people=40, lift_points=25)
    factories.EnrolmentFactory(cohort=measured, user=world.instructor, role=CohortRole.INSTRUCTOR)
    page.goto(f"/cohorts/{measured.pk}/insights/")
    section = page.locator("#lift")
    expect(section.get_by_role("heading", name="Does sparking work?")).to_be_visible()
    expect(section).to_contain_text(lift_sentence(paired_lift(probe_answers)))
    expect(section).to_contain_text("40 people")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize("screen", ["page", "phone"])
def test_an_instructor_starts_a_thread_from_a_confident_wrong_alert(request, screen, world):
    page = request.getfixturevalue(screen)
    spark = knowledge_spark(world.cohort, "Feedback", "Which comes first in SBI?")
    SparkChoice.objects.filter(spark=spark, text="Behaviour").update(position=1)
    SparkChoice.objects.create(spark=spark, position=2, text="Impact", is_correct=False)
    answers(spark, TEN_WITH_FOUR_SURE_AND_WRONG)
    [alert] = confident_wrong_scan()
    sign_in(page, world.instructor.email, PASSWORD)
    page.goto("/notifications/")
    page.get_by_role(
        "link", name="40% of answers in Feedback that lands were sure and wrong"
    ).click()
    expect(page.get_by_role("heading", name="Sure but wrong")).to_be_visible()
    expect(page.get_by_text("4 of 10 answers were wrong and sure of it")).to_be_visible()
    expect(page.get_by_role("table", name="How the answers fell")).to_contain_text("Behaviour")
    page.get_by_role("button", name="Start a thread about it").click()
    expect(
        page.get_by_role(
            "heading", name="Many of us were sure of a wrong answer: Which comes first in SBI?"
        )
    ).to_be_visible()
    expect(page.get_by_role("table").first).to_contain_text("Behaviour")
    expect(page.get_by_text("The situation comes first: where and when.")).to_be_visible()
    thread = Thread.objects.get(cohort=world.cohort)
    alert.refresh_from_db()
    assert alert.thread_id == thread.pk
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
