"""Delivering asks exactly once: sent, reminded once, expired, repeated; answered into a thread."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection, transaction

from discussions.models import Post, Thread
from notifications import scheduling
from notifications.models import Notification, OutboxMessage
from notifications.scheduling import DueStatus
from notifications.tasks import run_due_batch
from socialtraining import clock
from sparks import answering, planning
from sparks.models import Delivery, DeliveryOutcome, DeliveryStep, RepeatMode, SparkAnswer


@pytest.fixture
def run_due(django_capture_on_commit_callbacks, travel):
    def run(now=None):
        if now is not None:
            travel.to(now)
        with django_capture_on_commit_callbacks(execute=True):
            return scheduling.dispatch_all()

    return run


def due_now(spark):
    """Plan the spark and make every ask due, as if its day had come."""
    planning.sparks_plan(cohort=spark.cohort)
    Delivery.objects.filter(spark=spark).update(due_at=clock.now() - timedelta(minutes=1))
    return list(Delivery.objects.filter(spark=spark).order_by("pk"))


def sent_spark_mails(delivery_ids=None) -> int:
    rows = OutboxMessage.objects.filter(idempotency_key__contains=":spark:")
    if delivery_ids is not None:
        rows = rows.filter(idempotency_key__in=[f"{k}" for k in delivery_ids])
    return rows.count()


def test_it_sends_each_due_ask_once_however_often_the_dispatcher_runs(
    world, knowledge_spark, run_due
):
    asks = due_now(knowledge_spark)
    run_due()
    run_due()
    assert Notification.objects.filter(key__startswith="spark:").count() == len(asks)
    assert OutboxMessage.objects.filter(idempotency_key__contains=":spark:").count() == len(asks)
    assert len([m for m in mail.outbox if "/sparks/link/" in m.body]) == len(asks)
    for ask in Delivery.objects.all():
        assert (ask.step, ask.status) == (DeliveryStep.REMIND, DueStatus.PENDING)
        assert ask.due_at > clock.now()


def claimed(spark) -> list[int]:
    with transaction.atomic():
        return scheduling.claim_due_rows(scheduling.due_kind("spark_delivery"))


def test_it_sends_once_when_the_batch_task_runs_twice(world, knowledge_spark):
    asks = due_now(knowledge_spark)
    batch = claimed(knowledge_spark)
    assert run_due_batch("spark_delivery", batch) == len(asks)
    assert run_due_batch("spark_delivery", batch) == 0
    for ask in asks:
        assert Notification.objects.filter(key=f"spark:{ask.pk}").count() == 1


def test_it_sends_asks_that_came_due_while_the_broker_had_lost_them(
    world, knowledge_spark, run_due
):
    # Claimed by a dispatcher whose tasks vanished with a Redis flush: the lease runs out.
    asks = due_now(knowledge_spark)
    claimed(knowledge_spark)
    assert Notification.objects.count() == 0
    run_due(now=clock.now() + timedelta(minutes=10))
    assert Notification.objects.filter(key__startswith="spark:").count() == len(asks)


def test_it_resends_only_the_unsent_rest_of_a_crashed_batch(world, knowledge_spark, run_due):
    first, *rest = due_now(knowledge_spark)
    claimed(knowledge_spark)
    # A worker ran the first before it died; the others were never run.
    run_due_batch("spark_delivery", [first.pk])
    run_due(now=clock.now() + timedelta(minutes=10))
    for ask in [first, *rest]:
        assert Notification.objects.filter(key=f"spark:{ask.pk}").count() == 1


def test_it_enqueues_nothing_when_the_transaction_rolls_back(
    world, knowledge_spark, django_capture_on_commit_callbacks
):
    due_now(knowledge_spark)
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        scheduling.dispatch_all()
        raise RuntimeError("the dispatcher's transaction failed")
    assert callbacks == []
    assert set(Delivery.objects.values_list("status", flat=True)) == {DueStatus.PENDING}


def test_it_reminds_once_then_expires_and_asks_a_missed_knowledge_spark_again(
    world, knowledge_spark, run_due
):
    [ask, *_] = due_now(knowledge_spark)
    run_due()
    later = clock.now() + timedelta(hours=49)
    run_due(now=later)
    run_due(now=later + timedelta(minutes=5))
    assert Notification.objects.filter(key=f"spark-reminder:{ask.pk}").count() == 1
    run_due(now=clock.now() + timedelta(days=6))
    ask.refresh_from_db()
    assert (ask.outcome, ask.status) == (DeliveryOutcome.MISSED, DueStatus.DONE)
    again = Delivery.objects.get(participant_id=ask.participant_id, attempt=2)
    assert again.status == DueStatus.PENDING
    # A miss comes back soon: three days after it expired, in the send window.
    assert clock.now() + timedelta(days=3) <= again.due_at < clock.now() + timedelta(days=6)


def test_it_cancels_an_ask_of_someone_who_left_the_cohort(world, knowledge_spark, run_due):
    due_now(knowledge_spark)
    world.cohort.enrolments.filter(user=world.participant).delete()
    run_due()
    ask = Delivery.objects.get(participant=world.participant)
    assert ask.outcome == DeliveryOutcome.CANCELLED
    assert not Notification.objects.filter(user=world.participant).exists()


def _sent(spark, run_due, participant):
    due_now(spark)
    run_due()
    return Delivery.objects.get(spark=spark, participant=participant)


def test_it_posts_an_answer_into_the_spark_thread_and_shows_peers_after(
    world, knowledge_spark, run_due
):
    ask = _sent(knowledge_spark, run_due, world.participant)
    right = knowledge_spark.choices.get(text="Behaviour")
    answer = answering.spark_answer(delivery=ask, choice_ids=[right.pk], confidence=4)
    assert answer.is_correct is True
    thread = Thread.objects.get(pk=answer.post.thread_id)
    assert thread.post_first is True and thread.title == knowledge_spark.question
    assert Post.objects.get(pk=answer.post_id).author == world.participant
    ask.refresh_from_db()
    assert (ask.outcome, ask.status) == (DeliveryOutcome.ANSWERED, DueStatus.DONE)
    with pytest.raises(answering.SparkClosed):
        answering.spark_answer(delivery=ask, choice_ids=[right.pk])
    assert SparkAnswer.objects.count() == 1


def test_it_asks_a_wrong_or_unsure_answer_again_sooner_and_retires_a_mastered_one(
    world, knowledge_spark, run_due
):
    ask = _sent(knowledge_spark, run_due, world.participant)
    right = knowledge_spark.choices.get(text="Behaviour")
    answering.spark_answer(delivery=ask, choice_ids=[right.pk], confidence=1)
    # Unsure: back in the first send window after REPEAT_SOON_DAYS (a weekend may push it later),
    # always before a sure answer would come back.
    second = Delivery.objects.get(participant=world.participant, attempt=2)
    soon = clock.now() + timedelta(days=answering.REPEAT_SOON_DAYS)
    assert soon <= second.due_at < clock.now() + timedelta(days=answering.REPEAT_LATER_DAYS)

    def answer_next(attempt):
        delivery = Delivery.objects.get(participant=world.participant, attempt=attempt)
        Delivery.objects.filter(pk=delivery.pk).update(due_at=clock.now())
        run_due()
        answering.spark_answer(
            delivery=Delivery.objects.get(pk=delivery.pk), choice_ids=[right.pk], confidence=4
        )

    answer_next(2)
    third = Delivery.objects.get(participant=world.participant, attempt=3)
    assert third.due_at >= clock.now() + timedelta(days=answering.REPEAT_LATER_DAYS)
    answer_next(3)
    # Two sure, right answers: mastered, nothing more comes.
    assert not Delivery.objects.filter(participant=world.participant, attempt=4).exists()


def test_it_asks_nothing_again_when_the_cohort_says_no_repeats(world, knowledge_spark, run_due):
    schedule = planning.schedule_for(world.cohort)
    schedule.repeat_mode = RepeatMode.NONE
    schedule.save(update_fields=["repeat_mode"])
    ask = _sent(knowledge_spark, run_due, world.participant)
    wrong = knowledge_spark.choices.get(text="Belief")
    assert answering.spark_answer(delivery=ask, choice_ids=[wrong.pk]).is_correct is False
    assert not Delivery.objects.filter(attempt=2).exists()


def test_it_refuses_a_tampered_choice_and_an_empty_open_answer(
    world, knowledge_spark, open_spark, run_due
):
    ask = _sent(knowledge_spark, run_due, world.participant)
    with pytest.raises(answering.AnswerInvalid):
        answering.spark_answer(delivery=ask, choice_ids=[999999])
    with pytest.raises(answering.AnswerInvalid):
        answering.spark_answer(delivery=ask)
    open_ask = _sent(open_spark, run_due, world.groupmate)
    with pytest.raises(answering.AnswerInvalid):
        answering.spark_answer(delivery=open_ask, text="   ")
    assert not SparkAnswer.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_gives_each_ask_to_one_of_two_racing_dispatchers(world, knowledge_spark):
    asks = due_now(knowledge_spark)
    barrier = threading.Barrier(2)
    claimed = []

    def dispatcher():
        try:
            barrier.wait()
            with transaction.atomic():
                claimed.extend(scheduling.claim_due_rows(scheduling.due_kind("spark_delivery")))
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(a.pk for a in asks)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_sends_a_batch_emails_from_the_worker_that_ran_it_without_the_dispatcher(
    world, knowledge_spark, django_assert_max_num_queries
):
    asks = due_now(knowledge_spark)
    batch = claimed(knowledge_spark)

    # The emails handed to the dispatcher instead (a kick, a claim, a second task taking them)
    # cost ten more statements here.
    with django_assert_max_num_queries(33):
        assert run_due_batch("spark_delivery", batch) == len(asks)

    # Sent as the batch committed, by the same run: taken once, no claim by a dispatcher.
    assert sent_spark_mails() == len(asks) == len(mail.outbox)
    rows = OutboxMessage.objects.filter(idempotency_key__contains=":spark:")
    assert set(rows.values_list("status", "attempts")) == {(DueStatus.DONE, 1)}
    assert scheduling.dispatch_kind(scheduling.due_kind("outbox")) == 0
    assert len(mail.outbox) == len(asks)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_sends_the_emails_of_a_worker_that_died_after_its_batch_once_the_lease_ends(
    world, knowledge_spark, travel, monkeypatch, settings
):
    asks = due_now(knowledge_spark)
    batch = claimed(knowledge_spark)

    def killed(self, messages):
        # The worker is killed between the batch's commit and its first email.
        raise SystemExit("worker killed")

    with monkeypatch.context() as patch, pytest.raises(SystemExit):
        patch.setattr(locmem.EmailBackend, "send_messages", killed)
        run_due_batch("spark_delivery", batch)
    assert Notification.objects.filter(key__startswith="spark:").count() == len(asks)
    outbox = scheduling.due_kind("outbox")
    assert mail.outbox == []
    # The emails wait under the dead run's lease; no dispatcher takes them before it ends.
    assert scheduling.dispatch_kind(outbox) == 0

    travel.by(timedelta(seconds=settings.DUE_LEASE_SECONDS + 1))
    assert scheduling.dispatch_kind(outbox) == len(asks)
    assert len(mail.outbox) == len(asks)
    rows = OutboxMessage.objects.filter(idempotency_key__contains=":spark:")
    assert set(rows.values_list("status", "attempts")) == {(DueStatus.DONE, 2)}
