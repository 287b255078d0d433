"""A participant answers sparks: from the email in one tap on a phone, and on the spark's own page
(reached from "Your sparks"), signed in, by mouse and by keyboard, on a wide screen and a phone:
one right answer, several, and an open question. Focus lands on the result."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from notifications import scheduling
from notifications.models import OutboxMessage
from socialtraining import clock
from sparks import answering, planning
from sparks.models import Delivery, DeliveryOutcome, Spark, SparkAnswer, SparkChoice, SparkKind
from tests.browser.conftest import sign_in
from tests.browser.keyboard import tab_to
from tests.factories import PASSWORD


def sbi_spark(world) -> Spark:
    spark = Spark.objects.create(
        cohort=world.cohort,
        kind=SparkKind.KNOWLEDGE,
        question="What does the B in SBI stand for?",
        explanation="Situation, Behaviour, Impact: describe what they did, not who they are.",
        ask_confidence=True,
        offset_days=2,
        created_by=world.instructor,
    )
    for n, (text, correct) in enumerate([("Behaviour", True), ("Belief", False)]):
        SparkChoice.objects.create(spark=spark, position=n, text=text, is_correct=correct)
    return spark


def test_it_answers_from_the_email_in_one_tap_and_shows_peers_answers_as_they_come(phone, world):
    knowledge_spark = sbi_spark(world)
    planning.sparks_plan(cohort=world.cohort)
    Delivery.objects.update(due_at=clock.now() - timedelta(minutes=1))
    scheduling.dispatch_all()
    email = OutboxMessage.objects.get(to_email=world.participant.email)
    tap = re.search(
        r'href="(https?://[^"]+/sparks/pick/[^"]+/)"[^>]*>Behaviour<', email.content()["body_html"]
    ).group(1)

    phone.goto(tap)
    # The page the tap opened posted the choice by itself; the result waits for "how sure".
    expect(phone.get_by_text("how sure were you?")).to_be_visible()
    ask = Delivery.objects.get(participant=world.participant, attempt=1)
    assert ask.outcome == DeliveryOutcome.ANSWERED
    phone.get_by_role("button", name="Fairly sure").click()
    expect(phone.get_by_text("Right!")).to_be_visible()
    expect(phone.get_by_text("describe what they did, not who they are")).to_be_visible()
    expect(phone.locator("#peer-answers")).to_contain_text("You")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    peer = Delivery.objects.get(participant=world.groupmate, attempt=1)
    wrong = knowledge_spark.choices.get(text="Belief")
    answering.spark_answer(delivery=peer, choice_ids=[wrong.pk], text="I mixed it up with beliefs")
    # No reload: the peers' list polls its fragment.
    expect(phone.locator("#peer-answers")).to_contain_text(
        "I mixed it up with beliefs", timeout=20_000
    )
    assert phone.url.endswith(f"/sparks/{ask.pk}/")
    assert SparkAnswer.objects.get(delivery=ask).confidence == 3


def _asks_for_the_participant(world) -> dict[str, Delivery]:
    """Three sparks waiting in the participant's "Your sparks": one right answer (with "how
    sure"), several right answers, and an open question."""
    sbi_spark(world)
    several = Spark.objects.create(
        cohort=world.cohort,
        kind=SparkKind.KNOWLEDGE,
        question="Which of these are open questions?",
        explanation="Open questions cannot be answered yes or no.",
        offset_days=3,
        created_by=world.instructor,
    )
    for n, (text, correct) in enumerate(
        [("What would success look like?", True), ("Did you ask her?", False), ("How?", True)]
    ):
        SparkChoice.objects.create(spark=several, position=n, text=text, is_correct=correct)
    Spark.objects.create(
        cohort=world.cohort,
        question="Which question worked best for you this week?",
        offset_days=4,
        created_by=world.instructor,
    )
    planning.sparks_plan(cohort=world.cohort)
    Delivery.objects.update(due_at=clock.now() - timedelta(minutes=1))
    scheduling.dispatch_all()
    asks = Delivery.objects.filter(participant=world.participant).select_related("spark")
    return {ask.spark.question: ask for ask in asks}


def _open_from_your_sparks(screen, question: str, *, keyboard: bool) -> None:
    screen.goto("/sparks/")
    link = screen.get_by_role("link", name=question)
    if keyboard:
        tab_to(screen, link)
        screen.keyboard.press("Enter")
    else:
        link.click()
    expect(screen.get_by_role("heading", name=question)).to_be_visible()
    # Nothing on the page is wider than the screen.
    width = screen.viewport_size["width"]
    assert screen.evaluate("document.documentElement.scrollWidth") <= width


def _answer_by_mouse(screen, picks: list[str], sure: str | None, text: str) -> None:
    for pick in picks:
        screen.get_by_label(pick, exact=True).click()
    if sure:
        screen.get_by_label(sure, exact=True).click()
    screen.get_by_role("textbox").fill(text)
    screen.get_by_role("button", name="Answer").click()


def _answer_by_keyboard(screen, picks: list[str], sure: str | None, text: str) -> None:
    """Tab to each choice and tick it with Space; in "how sure", the arrow keys choose."""
    for pick in picks:
        tab_to(screen, screen.get_by_label(pick, exact=True))
        screen.keyboard.press("Space")
    if sure:
        tab_to(screen, screen.get_by_label("Guessing", exact=True))
        for _ in range(["Guessing", "Not sure", "Fairly sure", "Certain"].index(sure)):
            screen.keyboard.press("ArrowRight")
    tab_to(screen, screen.get_by_role("textbox"))
    screen.keyboard.type(text)
    tab_to(screen, screen.get_by_role("button", name="Answer"))
    screen.keyboard.press("Enter")


@pytest.mark.parametrize("keyboard", [False, True], ids=["mouse", "keyboard"])
@pytest.mark.parametrize("width", [1280, 390])
def test_it_answers_each_kind_of_spark_on_its_page(browser, live_server, world, width, keyboard):
    asks = _asks_for_the_participant(world)
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": width, "height": 844},
        is_mobile=width < 600,
        has_touch=width < 600,
    )
    context.set_default_timeout(10_000)
    screen = context.new_page()
    answer = _answer_by_keyboard if keyboard else _answer_by_mouse
    try:
        sign_in(screen, world.participant.email, PASSWORD)

        question = "What does the B in SBI stand for?"
        _open_from_your_sparks(screen, question, keyboard=keyboard)
        expect(screen.get_by_role("radio")).to_have_count(2 + 4)
        answer(screen, ["Behaviour"], "Fairly sure", "Behaviour, not belief.")
        result = screen.locator("#spark-result")
        expect(result).to_be_focused()
        expect(result).to_contain_text("Right!")
        expect(screen.get_by_text("describe what they did, not who they are")).to_be_visible()
        assert screen.evaluate("document.documentElement.scrollWidth") <= width
        ask = SparkAnswer.objects.get(delivery=asks[question])
        assert (ask.is_correct, ask.confidence, ask.text) == (True, 3, "Behaviour, not belief.")

        question = "Which of these are open questions?"
        _open_from_your_sparks(screen, question, keyboard=keyboard)
        expect(screen.get_by_role("checkbox")).to_have_count(3)
        expect(screen.get_by_text("(tick all that apply)")).to_be_visible()
        answer(screen, ["What would success look like?", "How?"], None, "Both start with a W/H.")
        expect(result).to_be_focused()
        expect(result).to_contain_text("Right!")
        picked = SparkAnswer.objects.get(delivery=asks[question]).choices.all()
        assert sorted(c.text for c in picked) == ["How?", "What would success look like?"]

        question = "Which question worked best for you this week?"
        _open_from_your_sparks(screen, question, keyboard=keyboard)
        expect(screen.get_by_role("radio")).to_have_count(0)
        answer(screen, [], None, "“What have you tried already?”")
        expect(result).to_be_focused()
        expect(result).to_contain_text("your answer is in the discussion")
        expect(screen.locator("#peer-answers")).to_contain_text("What have you tried already?")
        assert SparkAnswer.objects.get(delivery=asks[question]).text.startswith("“What have")
    finally:
        context.close()


def test_it_puts_focus_on_what_is_missing_when_an_answer_is_sent_empty(phone, world):
    asks = _asks_for_the_participant(world)
    sign_in(phone, world.participant.email, PASSWORD)
    question = "What does the B in SBI stand for?"
    _open_from_your_sparks(phone, question, keyboard=True)
    tab_to(phone, phone.get_by_role("textbox"))
    phone.keyboard.type("Not sure yet")
    tab_to(phone, phone.get_by_role("button", name="Answer"))
    phone.keyboard.press("Enter")

    summary = phone.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Choose an answer.")
    expect(phone.get_by_role("textbox")).to_have_value("Not sure yet")
    phone.keyboard.press("Tab")
    phone.keyboard.press("Enter")
    expect(phone.get_by_label("Behaviour", exact=True)).to_be_focused()
    phone.keyboard.press("Space")
    tab_to(phone, phone.get_by_role("button", name="Answer"))
    phone.keyboard.press("Enter")
    expect(phone.locator("#spark-result")).to_be_focused()
    assert SparkAnswer.objects.get(delivery=asks[question]).text == "Not sure yet"


def test_it_keeps_focus_where_it_was_when_a_peer_s_answer_comes_in(page, world):
    asks = _asks_for_the_participant(world)
    question = "Which question worked best for you this week?"
    answering.spark_answer(delivery=asks[question], text="Asking what they tried.")
    sign_in(page, world.participant.email, PASSWORD)
    page.goto(f"/sparks/{asks[question].pk}/")
    refresh = page.get_by_role("link", name="Refresh")
    tab_to(page, refresh)

    peer = Delivery.objects.get(participant=world.groupmate, spark=asks[question].spark)
    answering.spark_answer(delivery=peer, text="Silence after the question.")
    expect(page.locator("#peer-answers")).to_contain_text(
        "Silence after the question.", timeout=20_000
    )
    expect(refresh).to_be_focused()
    expect(page.locator("#announcer")).to_have_text("A new answer from a peer.")
