"""The participant's sparks across cohorts: waiting, answered, missed; a constant query count."""

from datetime import timedelta

import pytest

from notifications import scheduling
from socialtraining import clock
from sparks import answering, planning
from sparks.models import Delivery, DeliveryOutcome


@pytest.fixture
def sent(world, knowledge_spark, open_spark, django_capture_on_commit_callbacks):
    planning.sparks_plan(cohort=world.cohort)
    Delivery.objects.update(due_at=clock.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.dispatch_all()
    return Delivery.objects.filter(participant=world.participant)


def test_it_lists_waiting_answered_and_missed_asks(
    client_for, world, sent, knowledge_spark, open_spark, django_assert_max_num_queries
):
    answered = sent.get(spark=knowledge_spark)
    right = knowledge_spark.choices.get(text="Behaviour")
    answering.spark_answer(delivery=answered, choice_ids=[right.pk], confidence=4)
    client = client_for(world.participant)
    with django_assert_max_num_queries(10):
        response = client.get("/sparks/")
    waiting, answered_part = response.text.split("Answered</h2>")[0], response.text
    assert open_spark.question in waiting and "closes" in waiting
    assert knowledge_spark.question not in waiting
    assert "<strong>right</strong>" in answered_part
    Delivery.objects.filter(spark=open_spark, participant=world.participant).update(
        outcome=DeliveryOutcome.MISSED, closed_at=clock.now()
    )
    missed = client.get("/sparks/").text.split("Missed</h2>")[1]
    assert open_spark.question in missed and "without an answer" in missed


def test_it_shows_no_one_else_s_asks_and_nothing_before_it_is_sent(
    client_for, world, knowledge_spark
):
    planning.sparks_plan(cohort=world.cohort)
    assert Delivery.objects.filter(participant=world.participant).exists()
    response = client_for(world.participant).get("/sparks/")
    assert knowledge_spark.question not in response.text
    assert "Nothing waiting" in response.text


def test_it_links_each_cohort_s_pause_settings_before_any_ask_went_out(client_for, world):
    page = client_for(world.participant).get("/sparks/").text
    assert f'href="/sparks/cohorts/{world.cohort.pk}/settings/"' in page
    assert f"/sparks/cohorts/{world.other_cohort.pk}/settings/" not in page


def test_it_hides_a_peer_s_ask_from_me(client_for, world, sent, knowledge_spark):
    Delivery.objects.filter(participant=world.participant).delete()
    response = client_for(world.participant).get("/sparks/")
    assert knowledge_spark.question not in response.text


def test_it_asks_a_visitor_to_sign_in(client):
    response = client.get("/sparks/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_it_links_the_inbox_from_the_navigation(client_for, world):
    assert 'href="/sparks/"' in client_for(world.participant).get("/").text
