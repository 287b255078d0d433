"""A round opens, a participant answers it on a phone from the email link, leaving midway and
coming back to the saved draft; the instructor reads the results and downloads the CSV."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from cohorts.timeline import Anchor
from notifications import scheduling
from notifications.models import OutboxMessage
from socialtraining import clock
from surveys import rounds
from surveys.models import Answer, Choice, Question, QuestionKind, Response, ResponseStatus, Survey
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD


def survey_for(world) -> Survey:
    survey = Survey.objects.create(
        cohort=world.cohort,
        title="Feedback check",
        purpose="knowledge",
        created_by=world.instructor,
    )
    Question.objects.create(survey=survey, position=1, kind=QuestionKind.LIKERT, text="Useful?")
    Question.objects.create(survey=survey, position=2, kind=QuestionKind.NPS, text="Recommend?")
    sbi = Question.objects.create(
        survey=survey,
        position=3,
        kind=QuestionKind.KNOWLEDGE,
        text="What does the B in SBI stand for?",
        explanation="Situation, Behaviour, Impact.",
    )
    Choice.objects.create(question=sbi, position=0, text="Behaviour", is_correct=True)
    Choice.objects.create(question=sbi, position=1, text="Belief")
    return survey


def test_it_takes_a_participant_from_the_email_to_a_scored_response_and_the_instructor_to_results(
    phone, page, world, tmp_path
):
    survey = survey_for(world)
    round_ = rounds.round_schedule(
        survey=survey,
        plan=rounds.RoundPlan(
            label="Right after", anchor=Anchor.AT, opens_at=clock.now() - timedelta(minutes=1)
        ),
    )
    scheduling.dispatch_all()
    email = OutboxMessage.objects.get(to_email=world.participant.email)
    link = re.search(r"https?://\S+/surveys/link/\S+/", email.content()["body_text"]).group(0)
    useful, recommend, sbi = survey.questions.all()

    phone.goto(link)
    expect(phone.get_by_role("heading", name="Feedback check")).to_be_visible()
    expect(phone.get_by_text("Once you submit, your response is final")).to_be_visible()
    phone.locator(f"#q{useful.pk}").get_by_label("4", exact=True).check()
    expect(phone.get_by_role("status").filter(has_text="Draft saved")).to_be_visible()
    # Wait for this answer's own autosave: the status may still show the first one's minute.
    with phone.expect_response(lambda r: r.url.endswith("/draft/") and r.request.method == "POST"):
        phone.locator(f"#q{recommend.pk}").get_by_label("9", exact=True).check()
    expect(phone.get_by_text(re.compile(r"Draft saved \d\d:\d\d"))).to_be_visible()
    # Leaving midway: the page is closed without submitting.
    phone.goto("about:blank")
    assert Response.objects.get().status == ResponseStatus.DRAFT

    phone.goto(link)
    expect(phone.locator(f"#q{useful.pk}").get_by_label("4", exact=True)).to_be_checked()
    expect(phone.locator(f"#q{recommend.pk}").get_by_label("9", exact=True)).to_be_checked()
    phone.get_by_role("button", name="Submit").click()
    # Focus is on the summary, which links to the question; the question says it too.
    expect(phone.locator("#error-summary")).to_be_focused()
    expect(phone.locator(f"#q{sbi.pk}")).to_contain_text("This question needs an answer.")
    phone.get_by_label("Behaviour").check()
    phone.get_by_role("button", name="Submit").click()
    expect(phone.get_by_text("Your score: 1 of 1")).to_be_visible()
    expect(phone.get_by_text("Situation, Behaviour, Impact.")).to_be_visible()
    # Nothing on the page is wider than the phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert Answer.objects.get(question=sbi).is_correct is True

    sign_in(page, world.instructor.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/surveys/rounds/{round_.pk}/results/")
    expect(page.get_by_text("(1 of 3)")).to_be_visible()
    expect(page.get_by_text("100.0% answered correctly")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    path = tmp_path / "results.csv"
    download_info.value.save_as(path)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and world.participant.email in lines[1]
    assert ",4,9,Behaviour,1,1," in lines[1]
