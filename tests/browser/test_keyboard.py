"""Keyboard only: replying (empty, then for real), commenting, reacting, answering a survey with an
error, and a wide table on a phone. Each step says where focus lands, since a person who cannot
see the screen or use a mouse continues from there."""

import re
import uuid
from datetime import timedelta

from playwright.sync_api import expect

from cohorts.timeline import Anchor
from discussions import posting
from discussions.models import Post, Reaction
from notifications import scheduling
from socialtraining import clock
from surveys import rounds
from surveys.models import Choice, Question, QuestionKind, Response, ResponseStatus, Survey
from tests.browser.conftest import sign_in
from tests.browser.keyboard import tab_to
from tests.factories import PASSWORD
from tests.insights import cohort_builders as b

REPLIES = 10


def _thread_with_replies(world):
    thread = posting.thread_start(
        cohort=world.cohort,
        study_group=None,
        author=world.instructor,
        kind="question",
        title="What will you try on Monday?",
        body="One small change.",
        idempotency_key=uuid.uuid4().hex,
    )
    replies = [
        posting.post_reply(
            thread=thread,
            author=world.groupmate,
            body=f"Idea {n}: block an hour for deep work.",
            idempotency_key=uuid.uuid4().hex,
        )
        for n in range(REPLIES)
    ]
    return thread, replies


def test_it_skips_to_the_reply_box_and_costs_three_tab_stops_a_reply(page, world):
    thread, _ = _thread_with_replies(world)
    sign_in(page, world.participant.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/")
    skip = page.get_by_role("link", name="Skip to the reply box")
    box = page.get_by_label("Your reply")

    tab_to(page, skip)
    # Through the replies: each is its reactions (one toolbar), Flag and Comment.
    assert tab_to(page, box) == 3 * REPLIES + 1

    page.keyboard.press("Shift+Tab")
    tab_to(page, skip, limit=3 * REPLIES + 10)
    page.keyboard.press("Enter")
    expect(box).to_be_focused()


def test_it_posts_an_empty_reply_then_a_reply_by_keyboard(page, world):
    thread, _ = _thread_with_replies(world)
    sign_in(page, world.participant.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/")
    tab_to(page, page.get_by_role("link", name="Skip to the reply box"))
    page.keyboard.press("Enter")

    # Empty: focus comes back to the box, which says what is wrong.
    tab_to(page, page.get_by_role("button", name="Post reply"), limit=5)
    page.keyboard.press("Enter")
    box = page.get_by_role("textbox", name="Your reply")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_be_focused()
    expect(page.locator("#reply-form")).to_contain_text("This field is required.")
    assert not Post.objects.filter(author=world.participant).exists()

    page.keyboard.type("I will ask one question before I answer.")
    tab_to(page, page.get_by_role("button", name="Post reply"), limit=5)
    page.keyboard.press("Enter")
    mine = page.locator("article.reply").filter(has_text="I will ask one question")
    expect(mine).to_be_focused()
    expect(page.locator("#announcer")).to_have_text("Your reply is posted.")
    post = Post.objects.get(author=world.participant)
    assert mine.get_attribute("id") == f"post-{post.pk}"
    # The box is empty and ready for another reply, one Tab stop group further on.
    expect(page.get_by_role("textbox", name="Your reply")).to_have_value("")


def test_it_comments_on_a_reply_by_keyboard(page, world):
    thread, replies = _thread_with_replies(world)
    first = replies[0]
    sign_in(page, world.participant.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/")
    tab_to(page, page.locator(f"#post-{first.pk} .comment-open button"))
    page.keyboard.press("Enter")
    # The form comes in place of the button, and the focus moves into its box.
    expect(page.get_by_role("textbox", name="Your comment").first).to_be_focused()
    page.keyboard.type("Which hour works best for you?")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    comment = page.locator(f"#comments-{first.pk} .comment")
    expect(comment).to_be_focused()
    expect(comment).to_contain_text("Which hour works best for you?")
    expect(page.locator("#announcer")).to_have_text("Your comment is posted.")
    assert Post.objects.get(parent=first).author == world.participant


def test_it_reacts_by_keyboard_and_keeps_focus_on_the_button(page, world):
    thread, replies = _thread_with_replies(world)
    first = replies[0]
    sign_in(page, world.participant.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/")
    like = page.locator(f"#reaction-{first.pk}-like")
    learned = page.locator(f"#reaction-{first.pk}-learned")

    tab_to(page, like)
    page.keyboard.press("ArrowRight")
    expect(learned).to_be_focused()
    page.keyboard.press("Enter")

    expect(learned).to_have_attribute("aria-pressed", "true")
    expect(learned).to_contain_text("1")
    # The swapped-in button has focus, and it is the toolbar's one Tab stop.
    expect(learned).to_be_focused()
    assert Reaction.objects.get(post=first).user == world.participant
    page.keyboard.press("Tab")
    expect(
        page.locator(f"#post-{first.pk} .post-actions").get_by_role("button", name="Flag")
    ).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(learned).to_be_focused()

    page.keyboard.press("Enter")
    expect(learned).to_have_attribute("aria-pressed", "false")
    expect(learned).to_be_focused()
    assert not Reaction.objects.exists()


def _knowledge_survey(world) -> Survey:
    survey = Survey.objects.create(
        cohort=world.cohort,
        title="Feedback check",
        purpose="knowledge",
        created_by=world.instructor,
    )
    Question.objects.create(survey=survey, position=1, kind=QuestionKind.LIKERT, text="Useful?")
    sbi = Question.objects.create(
        survey=survey,
        position=2,
        kind=QuestionKind.KNOWLEDGE,
        text="What does the B in SBI stand for?",
        explanation="Situation, Behaviour, Impact.",
    )
    Choice.objects.create(question=sbi, position=0, text="Behaviour", is_correct=True)
    Choice.objects.create(question=sbi, position=1, text="Belief")
    return survey


def test_it_answers_a_survey_with_an_error_by_keyboard(phone, world):
    survey = _knowledge_survey(world)
    round_ = rounds.round_schedule(
        survey=survey,
        plan=rounds.RoundPlan(
            label="Right after", anchor=Anchor.AT, opens_at=clock.now() - timedelta(minutes=1)
        ),
    )
    scheduling.dispatch_all()
    useful = survey.questions.get(position=1)
    sign_in(phone, world.participant.email, PASSWORD)
    phone.goto(f"/cohorts/{world.cohort.pk}/surveys/rounds/{round_.pk}/")

    # Only the knowledge question answered: Space ticks the radio button Tab reached.
    tab_to(phone, phone.get_by_label("Behaviour"))
    phone.keyboard.press("Space")
    tab_to(phone, phone.get_by_role("button", name="Submit"))
    phone.keyboard.press("Enter")

    summary = phone.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Useful? — This question needs an answer.")
    phone.keyboard.press("Tab")
    phone.keyboard.press("Enter")
    first_point = phone.locator(f"#q{useful.pk}-number-1")
    expect(first_point).to_be_focused()
    # Arrow keys move through the scale and choose: 1 → 4.
    for _ in range(3):
        phone.keyboard.press("ArrowRight")
    expect(phone.locator(f"#q{useful.pk}-number-4")).to_be_checked()
    expect(phone.get_by_label("Behaviour")).to_be_checked()
    tab_to(phone, phone.get_by_role("button", name="Submit"))
    phone.keyboard.press("Enter")

    done = phone.locator("#response-submitted")
    expect(done).to_be_focused()
    expect(done).to_contain_text("Thank you: your response was submitted")
    expect(phone.get_by_text("Your score: 1 of 1")).to_be_visible()
    response = Response.objects.get(participant=world.participant)
    assert response.status == ResponseStatus.SUBMITTED
    assert response.answers.get(question=useful).number == 4


def test_it_shows_a_wide_table_on_a_phone_as_labelled_rows_with_no_sideways_scrolling(
    phone, page, world
):
    end = b.workshop_ended(world.cohort, days_ago=10)
    b.scale_answers(
        world.cohort,
        purpose="reaction",
        kind=QuestionKind.LIKERT,
        text="How useful was the workshop for the conversations you have every week?",
        numbers=[(world.participant, 4), (world.groupmate, 5)],
        at=end + timedelta(days=1),
    )
    url = f"/cohorts/{world.cohort.pk}/insights/"
    name = "Level 1, reaction (scrolls sideways)"
    sign_in(phone, world.manager.email, PASSWORD)
    phone.goto(url)
    expect(phone.locator("h3", has_text="Level 1, reaction")).to_be_visible()
    # One card per row, each cell saying its column: nothing to scroll, so no extra Tab stop.
    table = phone.locator("table.stacked:visible").first
    expect(table).to_be_visible()
    labelled = table.locator("tbody td[data-label]").first
    expect(labelled).to_have_attribute("data-label", re.compile(r"\S"))
    expect(phone.get_by_role("region", name=name)).to_have_count(0)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    # On a wide screen the table keeps its columns and fits: no extra Tab stop either.
    sign_in(page, world.manager.email, PASSWORD)
    page.goto(url)
    expect(page.locator("h3", has_text="Level 1, reaction")).to_be_visible()
    expect(page.get_by_role("region", name=name)).to_have_count(0)
