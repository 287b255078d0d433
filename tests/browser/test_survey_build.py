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
    page.get_by_label("Right after: the day the last session ends").check()
    page.get_by_label("Local time").fill("16:30")
    page.get_by_role("button", name="Schedule round").click()

    expect(page.get_by_text("Round “Right after” scheduled.")).to_be_visible()
    row = page.get_by_role("row", name="Right after")
    expect(row).to_contain_text("Tue 2 Mar 2027, 16:30")
    expect(row).to_contain_text("Scheduled")
    expect(row).to_contain_text("0 / 3")

    survey = Survey.objects.get(cohort=cohort)
    assert [q.kind for q in survey.questions.all()] == [
        QuestionKind.LIKERT,
        QuestionKind.KNOWLEDGE,
        QuestionKind.NPS,
    ]
    round_ = Round.objects.get(survey=survey)
    # 16:30 in New York in early March (EST) is 21:30 UTC.
    assert round_.opens_at == datetime(2027, 3, 2, 21, 30, tzinfo=UTC)
