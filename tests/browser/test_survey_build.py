"""An instructor builds a survey and schedules a round, in Chromium, as a person would."""

from datetime import UTC, datetime

from playwright.sync_api import expect

from surveys.models import QuestionKind, Round, Survey
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD


def test_it_lets_an_instructor_build_a_survey_and_schedule_a_round(page, world, travel):
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
    page.get_by_role("navigation", name="Cohort").get_by_role("link", name="Surveys").click()
    page.get_by_role("button", name="New survey").click()
    page.get_by_role("radio", name="Blank survey").check()
    page.get_by_label("Title").fill("After the workshop")
    page.get_by_role("button", name="Create survey").click()
    expect(page.get_by_role("heading", name="After the workshop")).to_be_visible()

    page.get_by_role("link", name="Likert scale (1 to 5)").click()
    page.get_by_label("Question", exact=True).fill("The workshop was worth my time.")
    page.get_by_role("button", name="Add question").click()
    expect(page.get_by_text("Question added.")).to_be_visible()

    page.get_by_role("link", name="Net Promoter Score (0 to 10)").click()
    page.get_by_label("Question", exact=True).fill("Would you recommend it?")
    page.get_by_role("button", name="Add question").click()

    page.get_by_role("link", name="Knowledge question (scored)").click()
    page.get_by_label("Question", exact=True).fill("What does the B in SBI stand for?")
    page.get_by_label("Choice 1", exact=True).fill("Belief")
    page.get_by_label("Choice 2", exact=True).fill("Behaviour")
    # A knowledge question with no correct answer is refused, and the text is kept.
    page.get_by_role("button", name="Add question").click()
    expect(page.get_by_role("alert")).to_contain_text("Tick the correct answer")
    expect(page.get_by_label("Choice 2", exact=True)).to_have_value("Behaviour")
    page.get_by_label("Choice 2 is correct").check()
    page.get_by_label("Explanation").fill("Situation, Behaviour, Impact.")
    page.get_by_role("button", name="Add question").click()
    expect(page.get_by_text("3. What does the B in SBI stand for?")).to_be_visible()

    # Reorder with htmx: the knowledge question moves up one place without a page load.
    page.get_by_role("button", name="Move question 3 up").click()
    expect(page.get_by_text("2. What does the B in SBI stand for?")).to_be_visible()

    page.get_by_role("link", name="Preview as a participant").click()
    expect(page.get_by_role("group", name="The workshop was worth my time.")).to_be_visible()
    page.get_by_label("Behaviour").check()
    page.get_by_role("link", name="Back to the survey").click()

    page.get_by_role("button", name="Schedule a round").click()
    page.get_by_label("Right after: when the last session ends").check()
    page.get_by_label("Local time").fill("18:30")
    page.get_by_role("button", name="Schedule round").click()

    expect(page.get_by_text("Round “Right after” scheduled.")).to_be_visible()
    row = page.get_by_role("row", name="Right after")
    expect(row).to_contain_text("Tue 2 Mar 2027, 18:30")
    expect(row).to_contain_text("Scheduled")
    expect(row).to_contain_text("0 / 3")

    survey = Survey.objects.get(cohort=cohort)
    assert [q.kind for q in survey.questions.all()] == [
        QuestionKind.LIKERT,
        QuestionKind.KNOWLEDGE,
        QuestionKind.NPS,
    ]
    round_ = Round.objects.get(survey=survey)
    # 18:30 in New York in early March (EST) is 23:30 UTC.
    assert round_.opens_at == datetime(2027, 3, 2, 23, 30, tzinfo=UTC)


def test_it_schedules_the_standard_rounds_in_one_click_but_not_example_questions(
    page, world, travel
):
    from surveys import building
    from surveys.starters import STARTERS

    travel.to(datetime(2027, 2, 1, 12, 0, tzinfo=UTC))
    world.cohort.sessions.update(
        starts_at=datetime(2027, 3, 2, 9, 0, tzinfo=UTC),
        ends_at=datetime(2027, 3, 2, 13, 0, tzinfo=UTC),
    )
    examples = building.survey_create(
        cohort=world.cohort,
        user=world.instructor,
        title="Examples",
        purpose="knowledge",
        starter=STARTERS["knowledge"],
    )
    mine = building.survey_create(
        cohort=world.cohort,
        user=world.instructor,
        title="Mine",
        purpose="reaction",
        starter=STARTERS["reaction"],
    )
    sign_in(page, world.instructor.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/surveys/{examples.pk}/")
    page.get_by_role("button", name="Schedule the standard rounds").click()
    expect(page.get_by_text("still hold the starter's example wording")).to_be_visible()
    assert not Round.objects.exists()

    page.goto(f"/cohorts/{world.cohort.pk}/surveys/{mine.pk}/")
    page.get_by_role("button", name="Schedule the standard rounds").click()
    expect(
        page.get_by_text(
            "5 rounds scheduled: Before the workshop, Right after, +30 days, +60 days, +90 days."
        )
    ).to_be_visible()
    # Right after opens when the last session ends (13:00 UTC), not at 09:00 while it runs.
    right_after = Round.objects.get(survey=mine, label="Right after")
    assert right_after.opens_at == datetime(2027, 3, 2, 13, 0, tzinfo=UTC)
