"""On a phone, a participant taps an answer in the spark email, says how sure they were, sees
right or wrong with the explanation, and sees a peer's answer arrive while the page is open."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from notifications import scheduling
from notifications.models import OutboxMessage
from socialtraining import clock
from sparks import services
from sparks.models import Delivery, DeliveryOutcome, Spark, SparkAnswer, SparkChoice, SparkKind


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
    services.sparks_plan(cohort=world.cohort)
    Delivery.objects.update(due_at=clock.now() - timedelta(minutes=1))
    scheduling.dispatch_all()
    email = OutboxMessage.objects.get(to_email=world.participant.email)
    tap = re.search(
        r'href="(https?://[^"]+/sparks/pick/[^"]+/)"[^>]*>Behaviour<', email.body_html
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
    services.spark_answer(delivery=peer, choice_ids=[wrong.pk], text="I mixed it up with beliefs")
    # No reload: the peers' list polls its fragment.
    expect(phone.locator("#peer-answers")).to_contain_text(
        "I mixed it up with beliefs", timeout=20_000
    )
    assert phone.url.endswith(f"/sparks/{ask.pk}/")
    assert SparkAnswer.objects.get(delivery=ask).confidence == 3
