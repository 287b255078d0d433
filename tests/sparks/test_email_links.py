"""Links from the email: one click per choice (GET writes nothing), confidence asked after the
pick and before the result, friendly pages for foreign and expired links, peers' answers."""

import re
from datetime import timedelta

import pytest
from django.core import mail

from discussions.models import Follow
from notifications import scheduling
from notifications.models import Notification
from socialtraining import clock
from sparks import answering, links, planning
from sparks.models import Delivery, DeliveryOutcome, SparkAnswer


@pytest.fixture
def sent_asks(world, knowledge_spark, django_capture_on_commit_callbacks):
    planning.sparks_plan(cohort=world.cohort)
    Delivery.objects.update(due_at=clock.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.dispatch_all()
    return {d.participant_id: d for d in Delivery.objects.all()}


def _pick_url(world, text):
    [message] = [m for m in mail.outbox if m.to == [world.participant.email]]
    html = message.alternatives[0].content
    url = re.search(r'href="[^"]*(/sparks/pick/[^"]+/)"[^>]*>' + re.escape(text), html)
    return url.group(1)


def test_it_answers_nothing_on_the_get_a_mail_scanner_makes(client, world, sent_asks):
    response = client.get(_pick_url(world, "Behaviour"))
    assert response.status_code == 200
    assert "Your answer: <strong>Behaviour</strong>" in response.text
    assert "data-autosubmit" in response.text and "js/sparks.js" in response.text
    assert not SparkAnswer.objects.exists()


def test_it_asks_confidence_after_a_one_click_answer_then_shows_the_result(
    client, world, sent_asks
):
    ask = sent_asks[world.participant.pk]
    client.get(_pick_url(world, "Behaviour"))
    right = ask.spark.choices.get(text="Behaviour")
    response = client.post(f"/sparks/{ask.pk}/", {"choices": [right.pk]}, follow=True)
    assert "how sure were you?" in response.text
    assert "Right!" not in response.text
    response = client.post(f"/sparks/{ask.pk}/confidence/", {"confidence": "1"}, follow=True)
    assert "Right!" in response.text and "describe what they did" in response.text
    assert SparkAnswer.objects.get(delivery=ask).confidence == 1
    # A right guess comes back soon, as an unsure answer should: in the first send window after
    # REPEAT_SOON_DAYS, which a weekend may push later, but before a sure answer would come back.
    again = Delivery.objects.get(participant=world.participant, attempt=2)
    soon = clock.now() + timedelta(days=answering.REPEAT_SOON_DAYS)
    assert soon <= again.due_at < clock.now() + timedelta(days=answering.REPEAT_LATER_DAYS)


def test_it_shows_the_result_when_confidence_is_skipped(client, world, sent_asks):
    ask = sent_asks[world.participant.pk]
    client.get(_pick_url(world, "Belief"))
    wrong = ask.spark.choices.get(text="Belief")
    client.post(f"/sparks/{ask.pk}/", {"choices": [wrong.pk]})
    response = client.get(f"/sparks/{ask.pk}/?reveal=1")
    assert "Not quite." in response.text and "The answer: Behaviour." in response.text


def test_it_sends_an_answered_one_click_link_to_the_result(client, world, sent_asks):
    ask = sent_asks[world.participant.pk]
    url = _pick_url(world, "Behaviour")
    client.get(url)
    right = ask.spark.choices.get(text="Behaviour")
    client.post(f"/sparks/{ask.pk}/", {"choices": [right.pk], "confidence": "4"})
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == f"/sparks/{ask.pk}/"


def test_it_shows_a_friendly_page_for_someone_else_s_link(client_for, world, sent_asks):
    client = client_for(world.groupmate)
    response = client.get(_pick_url(world, "Behaviour"))
    assert response.status_code == 404
    assert "This question was sent to someone else" in response.text
    link = links.delivery_link_path(sent_asks[world.participant.pk])
    assert "sent to someone else" in client.get(link).text


def test_it_refuses_an_expired_one_click_link(client, world, sent_asks, settings):
    url = _pick_url(world, "Behaviour")
    settings.SPARK_LINK_MAX_AGE = -1
    response = client.get(url)
    assert response.status_code == 400
    assert "This link cannot be used" in response.text
    assert not SparkAnswer.objects.exists()


def test_it_refuses_a_link_older_than_its_lifetime_on_the_project_clock(
    client, world, sent_asks, settings, travel
):
    link = links.delivery_link_path(sent_asks[world.participant.pk])
    assert client.get(link).status_code == 302
    client.logout()
    travel.to(clock.now() + timedelta(seconds=settings.SPARK_LINK_MAX_AGE + 3600))
    response = client.get(link)
    assert response.status_code == 400
    assert "This link cannot be used" in response.text


def test_it_shows_peers_answers_after_answering_and_polls_for_new_ones(
    client, world, sent_asks, django_assert_max_num_queries
):
    ask, peer = sent_asks[world.participant.pk], sent_asks[world.groupmate.pk]
    wrong = ask.spark.choices.get(text="Belief")
    answering.spark_answer(delivery=peer, choice_ids=[wrong.pk], text="Beliefs drive it")
    client.get(links.delivery_link_path(ask))
    before = client.get(f"/sparks/{ask.pk}/")
    assert "Beliefs drive it" not in before.text
    right = ask.spark.choices.get(text="Behaviour")
    response = client.post(
        f"/sparks/{ask.pk}/", {"choices": [right.pk], "confidence": "3"}, follow=True
    )
    assert "Beliefs drive it" in response.text
    assert 'hx-trigger="every 10s"' in response.text
    other = sent_asks[world.other_group_participant.pk]
    answering.spark_answer(delivery=other, choice_ids=[right.pk], text="Behaviour, clearly")
    with django_assert_max_num_queries(12):
        fragment = client.get(f"/sparks/{ask.pk}/", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<section id="peer-answers"')
    assert "Behaviour, clearly" in fragment.text


def test_it_notifies_the_spark_author_and_earlier_answerers_per_their_settings(
    world, sent_asks, deliver
):
    ask, peer = sent_asks[world.participant.pk], sent_asks[world.groupmate.pk]
    right = ask.spark.choices.get(text="Behaviour")
    answering.spark_answer(delivery=peer, choice_ids=[right.pk])
    deliver()
    first_post = SparkAnswer.objects.get(delivery=peer).post
    assert Follow.objects.filter(thread=first_post.thread, user=world.instructor).exists()
    assert Notification.objects.filter(user=world.instructor, key=f"reply:{first_post.pk}").exists()
    answering.spark_answer(delivery=ask, choice_ids=[right.pk])
    deliver()
    second_post = SparkAnswer.objects.get(delivery=ask).post
    assert Notification.objects.filter(user=world.groupmate, key=f"reply:{second_post.pk}").exists()
    # Someone who stopped following hears nothing of later answers.
    Follow.objects.filter(thread=first_post.thread, user=world.instructor).delete()
    third = sent_asks[world.other_group_participant.pk]
    answering.spark_answer(delivery=third, choice_ids=[right.pk])
    deliver()
    third_post = SparkAnswer.objects.get(delivery=third).post
    assert not Notification.objects.filter(
        user=world.instructor, key=f"reply:{third_post.pk}"
    ).exists()
    assert ask.spark.deliveries.filter(outcome=DeliveryOutcome.ANSWERED).count() == 3


def test_it_gives_the_deadline_on_the_cohort_s_wall_clock(world, sent_asks):
    cohort = world.cohort
    ask = sent_asks[world.participant.pk]
    deadline = (ask.sent_at + timedelta(days=5)).astimezone(cohort.tz)
    [message] = [m for m in mail.outbox if m.to == [world.participant.email]]
    expected = f"Answer by {deadline:%A} {deadline.day} {deadline:%B, %H:%M} {deadline.tzname()}."
    assert expected in message.body
