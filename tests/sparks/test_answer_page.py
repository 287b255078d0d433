"""The answer page: reached from the email link without a password, for that one ask only."""

import re
from datetime import timedelta

import pytest

from notifications import scheduling
from socialtraining import clock
from sparks import answering, links, planning
from sparks.models import Delivery, DeliveryOutcome, SparkAnswer, SparkChoice


@pytest.fixture
def sent_ask(world, knowledge_spark, django_capture_on_commit_callbacks):
    planning.sparks_plan(cohort=world.cohort)
    Delivery.objects.update(due_at=clock.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.dispatch_all()
    return Delivery.objects.get(participant=world.participant)


def test_it_opens_the_ask_from_the_email_link_without_signing_in(client, sent_ask):
    response = client.get(links.delivery_link_path(sent_ask), follow=True)
    assert response.status_code == 200
    assert "What does the B in SBI stand for?" in response.text
    assert "Fairly sure" in response.text


def test_it_answers_and_then_shows_the_explanation_and_the_way_to_peers(client, sent_ask):
    client.get(links.delivery_link_path(sent_ask))
    right = sent_ask.spark.choices.get(text="Behaviour")
    response = client.post(
        f"/sparks/{sent_ask.pk}/", {"choices": [right.pk], "confidence": "3"}, follow=True
    )
    assert "Right!" in response.text
    assert "describe what they did" in response.text
    assert "See what your peers answered" in response.text
    sent_ask.refresh_from_db()
    assert sent_ask.outcome == DeliveryOutcome.ANSWERED


def test_it_keeps_the_text_and_says_why_when_an_answer_is_refused(client, sent_ask):
    client.get(links.delivery_link_path(sent_ask))
    response = client.post(f"/sparks/{sent_ask.pk}/", {"text": "I think it is behaviour"})
    assert response.status_code == 400
    assert "Choose an answer." in response.text
    assert "I think it is behaviour" in response.text


def test_it_refuses_a_tampered_link_with_a_clear_page(client, sent_ask):
    token = links.delivery_link_token(sent_ask)
    tampered = token[:-1] + ("B" if token[-1] == "A" else "A")
    response = client.get(f"/sparks/link/{tampered}/")
    assert response.status_code == 400
    assert "This link cannot be used" in response.text


def test_it_opens_one_ask_per_link_and_no_one_else_s(client, world, sent_ask):
    client.get(links.delivery_link_path(sent_ask))
    other = Delivery.objects.get(participant=world.groupmate)
    response = client.get(f"/sparks/{other.pk}/")
    # Not shown: the visitor is asked to sign in, as anyone without this ask's link would be.
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_shows_a_signed_in_participant_only_their_own_ask(client_for, world, sent_ask):
    assert client_for(world.participant).get(f"/sparks/{sent_ask.pk}/").status_code == 200
    assert client_for(world.groupmate).get(f"/sparks/{sent_ask.pk}/").status_code == 404
    assert client_for(world.instructor).get(f"/sparks/{sent_ask.pk}/").status_code == 404


def test_it_links_to_the_own_group_s_thread_when_the_answer_post_is_gone(
    client, world, knowledge_spark, django_capture_on_commit_callbacks
):
    from discussions.models import Post
    from sparks.models import SparkTarget

    knowledge_spark.target = SparkTarget.GROUPS
    knowledge_spark.save(update_fields=["target"])
    planning.sparks_plan(cohort=world.cohort)
    Delivery.objects.update(due_at=clock.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.dispatch_all()
    right = knowledge_spark.choices.get(text="Behaviour")
    # The other group answers first, so its thread is the spark's first.
    for person in (world.other_group_participant, world.participant):
        ask = Delivery.objects.get(participant=person, attempt=1)
        answering.spark_answer(delivery=ask, choice_ids=[right.pk], confidence=4)
    mine = Delivery.objects.get(participant=world.participant, attempt=1)
    own_thread = mine.answer.post.thread
    Post.objects.filter(pk=mine.answer.post_id).delete()

    client.force_login(world.participant, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(f"/sparks/{mine.pk}/?reveal=1")
    assert f'href="/cohorts/{world.cohort.pk}/threads/{own_thread.pk}/"' in response.text


def _signed_in_ask(client, world, spark, django_capture_on_commit_callbacks) -> Delivery:
    planning.sparks_plan(cohort=world.cohort)
    Delivery.objects.update(due_at=clock.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.dispatch_all()
    client.force_login(world.participant, backend="django.contrib.auth.backends.ModelBackend")
    return Delivery.objects.get(participant=world.participant, spark=spark)


def _inputs(html: str, name: str) -> list[str]:
    return re.findall(rf'<input type="(\w+)" name="{name}"', html)


def test_it_offers_radio_buttons_when_one_answer_is_right(
    client, world, knowledge_spark, django_capture_on_commit_callbacks
):
    ask = _signed_in_ask(client, world, knowledge_spark, django_capture_on_commit_callbacks)
    html = client.get(f"/sparks/{ask.pk}/").content.decode()
    assert "<option" not in html
    assert _inputs(html, "choices") == ["radio", "radio"]
    assert _inputs(html, "confidence") == ["radio"] * 4
    assert '<fieldset id="field-choices">' in html
    assert "<legend>Your answer</legend>" in html
    for choice in knowledge_spark.choices.all():
        assert f'value="{choice.pk}"' in html and f"<span>{choice.text}</span>" in html


def test_it_offers_checkboxes_when_several_answers_are_right(
    client, world, knowledge_spark, django_capture_on_commit_callbacks
):
    SparkChoice.objects.create(spark=knowledge_spark, position=2, text="Bias", is_correct=False)
    knowledge_spark.choices.filter(text="Belief").update(is_correct=True)
    ask = _signed_in_ask(client, world, knowledge_spark, django_capture_on_commit_callbacks)
    html = client.get(f"/sparks/{ask.pk}/").content.decode()
    assert _inputs(html, "choices") == ["checkbox"] * 3
    assert "(tick all that apply)" in html

    both = list(knowledge_spark.choices.filter(is_correct=True).values_list("pk", flat=True))
    response = client.post(f"/sparks/{ask.pk}/", {"choices": both, "confidence": "4"}, follow=True)
    assert "Right!" in response.text
    assert sorted(ask.answer.choices.values_list("pk", flat=True)) == sorted(both)


def test_it_summarises_what_is_missing_and_keeps_what_was_given(
    client, world, knowledge_spark, django_capture_on_commit_callbacks
):
    ask = _signed_in_ask(client, world, knowledge_spark, django_capture_on_commit_callbacks)
    response = client.post(f"/sparks/{ask.pk}/", {"confidence": "2", "text": "Not sure at all"})
    assert response.status_code == 400
    html = response.content.decode()
    summary = html[html.index('<div class="error-summary"') :]
    assert 'tabindex="-1" autofocus' in summary[: summary.index(">")]
    assert '<a href="#field-choices">Choose an answer.</a>' in summary
    assert 'aria-describedby="field-choices-errors"' in html
    assert re.search(r'<input type="radio" name="confidence" value="2"[^>]* checked', html)
    assert "Not sure at all</textarea>" in html
    ask.refresh_from_db()
    assert ask.outcome == DeliveryOutcome.WAITING


def test_it_asks_for_the_text_of_an_open_answer(
    client, world, open_spark, django_capture_on_commit_callbacks
):
    ask = _signed_in_ask(client, world, open_spark, django_capture_on_commit_callbacks)
    html = client.get(f"/sparks/{ask.pk}/").content.decode()
    assert 'name="choices"' not in html and 'name="confidence"' not in html
    response = client.post(f"/sparks/{ask.pk}/", {"text": "   "})
    assert response.status_code == 400
    assert '<a href="#field-text">Write your answer first.</a>' in response.content.decode()
    response = client.post(f"/sparks/{ask.pk}/", {"text": "I asked before advising."}, follow=True)
    assert "Thank you: your answer is in the discussion." in response.text
    assert ask.answer.post.body == "I asked before advising."


def test_it_polls_peers_answers_and_swaps_only_when_a_new_one_came(
    client, world, knowledge_spark, django_capture_on_commit_callbacks
):
    ask = _signed_in_ask(client, world, knowledge_spark, django_capture_on_commit_callbacks)
    right = knowledge_spark.choices.get(text="Behaviour")
    answering.spark_answer(delivery=ask, choice_ids=[right.pk], confidence=4)
    page = client.get(f"/sparks/{ask.pk}/").content.decode()
    poll = re.search(r'hx-get="([^"]+)" hx-trigger="every 10s"', page).group(1)
    assert poll == f"/sparks/{ask.pk}/?shown={ask.answer.post_id}"

    unchanged = client.get(poll, headers={"HX-Request": "true"})
    assert unchanged.status_code == 204 and unchanged.content == b""

    peer = Delivery.objects.get(participant=world.groupmate, spark=knowledge_spark)
    answering.spark_answer(delivery=peer, choice_ids=[right.pk], text="Behaviour, clearly")
    fresh = client.get(poll, headers={"HX-Request": "true"}).content.decode()
    assert fresh.lstrip().startswith('<section id="peer-answers"')
    assert "Behaviour, clearly" in fresh
    assert '<div hx-swap-oob="innerHTML:#announcer">A new answer from a peer.</div>' in fresh


def test_it_stores_the_answer_post_s_html_when_answering(client, sent_ask):
    client.get(links.delivery_link_path(sent_ask))
    right = sent_ask.spark.choices.get(text="Behaviour")
    client.post(f"/sparks/{sent_ask.pk}/", {"choices": [right.pk], "confidence": "3"})
    sent_ask.refresh_from_db()
    assert sent_ask.answer.post.body_html == "<p><strong>My answer:</strong> Behaviour</p>\n"


def test_it_lists_the_asks_waiting_on_the_home_page(client_for, world, sent_ask):
    client = client_for(world.participant)
    home = client.get("/").text
    assert "Sparks waiting for your answer" in home
    assert f'href="/sparks/{sent_ask.pk}/"' in home
    assert "What does the B in SBI stand for?" in home
    answering.spark_answer(
        delivery=sent_ask, choice_ids=[sent_ask.spark.choices.get(text="Behaviour").pk]
    )
    assert "Sparks waiting for your answer" not in client.get("/").text
    # Someone else's asks are not theirs to see.
    other = client_for(world.groupmate).get("/")
    assert f'href="/sparks/{sent_ask.pk}/"' not in other.text


def test_it_refuses_a_confidence_off_the_scale_says_why_and_keeps_the_answer(
    client_for, world, sent_ask
):
    client = client_for(world.participant)
    right = sent_ask.spark.choices.get(text="Behaviour")
    response = client.post(
        f"/sparks/{sent_ask.pk}/",
        {"choices": [right.pk], "confidence": "99", "text": "My reasoning"},
    )
    assert response.status_code == 400
    assert "Say how sure you are with one of the four options." in response.text
    assert "My reasoning</textarea>" in response.text
    sent_ask.refresh_from_db()
    assert sent_ask.outcome == DeliveryOutcome.WAITING


def test_it_stores_no_confidence_for_a_spark_that_does_not_ask_for_it(client_for, world, sent_ask):
    sent_ask.spark.ask_confidence = False
    sent_ask.spark.save(update_fields=["ask_confidence"])
    right = sent_ask.spark.choices.get(text="Behaviour")
    client_for(world.participant).post(
        f"/sparks/{sent_ask.pk}/", {"choices": [right.pk], "confidence": "1"}
    )
    assert SparkAnswer.objects.get(delivery=sent_ask).confidence is None
