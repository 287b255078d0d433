"""The instructors' timeline: what goes out when, to how many, what came back; its actions."""

import re
from datetime import time, timedelta

import pytest

from notifications import scheduling
from notifications.models import OutboxMessage
from notifications.scheduling import DueStatus
from socialtraining import clock
from sparks import answering, planning
from sparks.models import (
    Delivery,
    DeliveryOutcome,
    DeliveryStep,
    RepeatMode,
    Spark,
    SparkChoice,
    SparkKind,
)
from tests import factories

PARTICIPANTS = 3


@pytest.fixture
def run_due(django_capture_on_commit_callbacks):
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return scheduling.dispatch_all()

    return run


def count(page: str, spark: Spark, name: str) -> str:
    row = re.search(rf'<tr id="spark-{spark.pk}">(.*?)</tr>', page, re.S).group(1)
    return re.search(rf'data-count="{name}">([^<]*)<', row).group(1)


def sent(spark: Spark, run_due) -> list[Delivery]:
    planning.sparks_plan(cohort=spark.cohort)
    Delivery.objects.filter(spark=spark).update(due_at=clock.now() - timedelta(minutes=1))
    run_due()
    return list(Delivery.objects.filter(spark=spark).order_by("participant__email"))


def test_it_counts_recipients_answers_right_rate_and_repeats(
    world, client_for, knowledge_spark, run_due
):
    _green, groupmate, participant = sent(knowledge_spark, run_due)
    right = knowledge_spark.choices.get(is_correct=True)
    wrong = knowledge_spark.choices.get(is_correct=False)
    answering.spark_answer(delivery=participant, choice_ids=[right.pk], confidence=4)
    answering.spark_answer(delivery=groupmate, choice_ids=[wrong.pk], confidence=3)
    page = client_for(world.instructor).get(f"/cohorts/{world.cohort.pk}/sparks/").text
    assert count(page, knowledge_spark, "recipients") == "3"
    assert count(page, knowledge_spark, "delivered") == "3"
    assert count(page, knowledge_spark, "answered") == "2"
    assert count(page, knowledge_spark, "right-rate") == "50%"
    # Both answers bring the spark back (sooner for the wrong one): two repeats wait.
    assert count(page, knowledge_spark, "repeats") == "2"
    assert count(page, knowledge_spark, "mastered") == "0"
    # The answers are in the spark's thread, one click away.
    thread = knowledge_spark.threads.get().thread
    assert f'href="/cohorts/{world.cohort.pk}/threads/{thread.pk}/"' in page


def test_it_counts_a_participant_who_answered_right_twice_as_mastered(
    world, client_for, knowledge_spark, run_due
):
    [_, _, first] = sent(knowledge_spark, run_due)
    right = knowledge_spark.choices.get(is_correct=True)
    answering.spark_answer(delivery=first, choice_ids=[right.pk], confidence=4)
    repeat = Delivery.objects.get(participant=world.participant, attempt=2)
    Delivery.objects.filter(pk=repeat.pk).update(due_at=clock.now() - timedelta(minutes=1))
    run_due()
    repeat.refresh_from_db()
    answering.spark_answer(delivery=repeat, choice_ids=[right.pk], confidence=4)
    page = client_for(world.instructor).get(f"/cohorts/{world.cohort.pk}/sparks/").text
    assert count(page, knowledge_spark, "mastered") == "1"
    assert count(page, knowledge_spark, "right-rate") == "100%"
    assert count(page, knowledge_spark, "repeats") == "0"


def test_it_shows_the_planned_first_send_in_the_cohort_s_time_zone(
    world, client_for, knowledge_spark
):
    planning.sparks_plan(cohort=world.cohort)
    first = Delivery.objects.order_by("due_at").first().due_at.astimezone(world.cohort.tz)
    page = client_for(world.instructor).get(f"/cohorts/{world.cohort.pk}/sparks/").text
    assert "Europe/Paris" in page
    assert f'Planned <time datetime="{first.isoformat()}">' in page


def _many(world, sparks: int, participants: int) -> None:
    for _ in range(participants):
        factories.EnrolmentFactory(cohort=world.cohort, study_group=world.group)
    for n in range(sparks):
        spark = Spark.objects.create(
            cohort=world.cohort,
            kind=SparkKind.KNOWLEDGE,
            question=f"Question {n}?",
            offset_days=n,
            target="groups",
        )
        SparkChoice.objects.create(spark=spark, text="Yes", is_correct=True)
        SparkChoice.objects.create(spark=spark, text="No")


@pytest.mark.parametrize("sparks, participants", [(2, 0), (12, 20)])
def test_it_costs_the_same_queries_for_few_or_many(
    world, client_for, run_due, django_assert_max_num_queries, sparks, participants
):
    _many(world, sparks, participants)
    # Every ask planned; two asks of each spark sent, in one dispatch, and answered. (Sending all
    # of them, a dispatch per spark, cost most of this test: the page's queries do not depend on
    # how many asks went out, only on the rows it counts.)
    planning.sparks_plan(cohort=world.cohort)
    first_two = [
        pk
        for spark in Spark.objects.all()
        for pk in Delivery.objects.filter(spark=spark)
        .order_by("participant__email")
        .values_list("pk", flat=True)[:2]
    ]
    Delivery.objects.filter(pk__in=first_two).update(due_at=clock.now() - timedelta(minutes=1))
    run_due()
    for ask in Delivery.objects.filter(pk__in=first_two).select_related("spark"):
        answering.spark_answer(delivery=ask, choice_ids=[ask.spark.choices.first().pk])
    client = client_for(world.instructor)
    with django_assert_max_num_queries(13):
        response = client.get(f"/cohorts/{world.cohort.pk}/sparks/")
    assert response.status_code == 200
    assert response.text.count('<tr id="spark-') == sparks


def test_it_sends_now_through_the_due_rows(world, client_for, open_spark, run_due):
    planning.sparks_plan(cohort=world.cohort)
    url = f"/cohorts/{world.cohort.pk}/sparks/{open_spark.pk}/send-now/"
    response = client_for(world.instructor).post(url, follow=True)
    assert "goes out to 3 participants within a minute" in response.text
    # Nothing is sent by the click itself; the asks are due, for the dispatcher.
    assert not OutboxMessage.objects.exists()
    assert Delivery.objects.filter(due_at__lte=clock.now(), status="pending").count() == 3
    # A re-plan in between leaves them due.
    planning.sparks_plan(cohort=world.cohort)
    run_due()
    assert Delivery.objects.filter(sent_at__isnull=False).count() == PARTICIPANTS
    assert OutboxMessage.objects.filter(idempotency_key__contains=":spark:").count() == 3


def test_it_sends_now_a_spark_whose_day_has_passed(world, client_for, open_spark, run_due):
    session = world.cohort.sessions.get()
    session.starts_at -= timedelta(days=60)
    session.ends_at -= timedelta(days=60)
    session.save(update_fields=["starts_at", "ends_at"])
    planning.sparks_plan(cohort=world.cohort)
    assert not Delivery.objects.exists()
    url = f"/cohorts/{world.cohort.pk}/sparks/{open_spark.pk}/send-now/"
    client_for(world.instructor).post(url, headers={"HX-Request": "true"})
    run_due()
    assert Delivery.objects.filter(step=DeliveryStep.REMIND).count() == PARTICIPANTS
    again = client_for(world.instructor).post(url, headers={"HX-Request": "true"})
    assert again.status_code == 200
    assert "Nothing to send" in again.text
    assert Delivery.objects.count() == PARTICIPANTS


def test_it_reschedules_and_moves_the_asks_still_to_go(world, client_for, open_spark):
    planning.sparks_plan(cohort=world.cohort)
    before = {d.participant_id: d.due_at for d in Delivery.objects.all()}
    url = f"/cohorts/{world.cohort.pk}/sparks/{open_spark.pk}/reschedule/"
    response = client_for(world.instructor).post(
        url, {"offset_days": "21"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.text.strip().startswith(f'<tr id="spark-{open_spark.pk}">')
    assert "now goes out 21 days after the workshop" in response.text
    for delivery in Delivery.objects.all():
        assert delivery.due_at.date() >= before[delivery.participant_id].date() + timedelta(days=6)
    bad = client_for(world.instructor).post(url, {"offset_days": "soon"})
    assert bad.status_code == 400
    assert "Not moved: Enter a whole number." in bad.text


def test_it_cancels_a_spark_and_its_asks_still_to_go(world, client_for, open_spark):
    planning.sparks_plan(cohort=world.cohort)
    url = f"/cohorts/{world.cohort.pk}/sparks/{open_spark.pk}/cancel/"
    response = client_for(world.instructor).post(url, follow=True)
    assert "3 asks will not go out" in response.text
    open_spark.refresh_from_db()
    assert open_spark.cancelled_at is not None
    assert set(Delivery.objects.values_list("status", "outcome")) == {
        (DueStatus.CANCELLED, DeliveryOutcome.CANCELLED)
    }
    assert client_for(world.instructor).post(url).status_code == 400


def test_it_saves_the_send_settings_and_replans(world, client_for, open_spark):
    planning.sparks_plan(cohort=world.cohort)
    url = f"/cohorts/{world.cohort.pk}/sparks/settings/"
    client = client_for(world.instructor)
    page = client.get(url).text
    assert "Europe/Paris" in page
    assert "until the participant has answered it correctly" in page
    assert "Nothing comes back" in page
    data = {
        "window_start": "13:00",
        "window_end": "14:00",
        "weekdays": ["2", "4"],
        "repeat_mode": RepeatMode.NONE,
    }
    assert client.post(url, data).status_code == 302
    schedule = planning.schedule_for(world.cohort)
    assert (schedule.weekdays, schedule.repeat_mode) == ("24", RepeatMode.NONE)
    for delivery in Delivery.objects.all():
        local = delivery.due_at.astimezone(world.cohort.tz)
        assert local.isoweekday() in (2, 4)
        assert time(13, 0) <= local.time() < time(14, 0)


def test_it_refuses_a_window_that_ends_before_it_starts(world, client_for):
    url = f"/cohorts/{world.cohort.pk}/sparks/settings/"
    data = {"window_start": "17:00", "window_end": "09:00", "repeat_mode": "missed"}
    response = client_for(world.instructor).post(url, data)
    assert response.status_code == 400
    assert "The latest time must come after the earliest (17:00)." in response.text
    assert "This field is required." in response.text
    assert 'value="17:00"' in response.text
    assert planning.schedule_for(world.cohort).window_start == time(9, 0)
