"""Planning asks: one per spark and participant, inside the send window, never twice."""

from datetime import UTC, datetime, time, timedelta

from notifications.scheduling import DueStatus
from sparks import participants, planning
from sparks.models import Delivery, DeliveryOutcome
from tests import factories

PARTICIPANTS = 3  # participant, groupmate and green in the world's cohort


def test_it_plans_one_ask_per_participant_inside_the_weekday_window(world, knowledge_spark):
    assert planning.sparks_plan(cohort=world.cohort) == PARTICIPANTS
    assert planning.sparks_plan(cohort=world.cohort) == 0
    deliveries = Delivery.objects.filter(spark=knowledge_spark)
    assert deliveries.count() == PARTICIPANTS
    last_day = world.cohort.last_end.astimezone(world.cohort.tz).date()
    for delivery in deliveries:
        local = delivery.due_at.astimezone(world.cohort.tz)
        assert local.isoweekday() <= 5
        assert time(9, 0) <= local.time() < time(17, 0)
        assert local.date() >= last_day + timedelta(days=2)


def test_it_gives_a_late_enrolment_only_the_sparks_still_ahead(
    travel, world, knowledge_spark, open_spark
):
    late = factories.UserFactory(email="late@example.test")
    factories.EnrolmentFactory(cohort=world.cohort, user=late)
    # Two weeks and a day after the workshop: the +2 days spark has gone, the +14 days one not yet
    # (it lands in the window of its day, after 09:00).
    now = world.cohort.last_end + timedelta(days=3)
    travel.to(now)
    planning.sparks_plan(cohort=world.cohort)
    asks = set(Delivery.objects.filter(participant=late).values_list("spark_id", flat=True))
    assert asks == {open_spark.pk}


def test_it_moves_unsent_asks_when_the_workshop_moves(world, knowledge_spark):
    planning.sparks_plan(cohort=world.cohort)
    before = dict(Delivery.objects.values_list("participant_id", "due_at"))
    session = world.cohort.sessions.get()
    session.starts_at += timedelta(days=7)
    session.ends_at += timedelta(days=7)
    session.save(update_fields=["starts_at", "ends_at"])
    world.cohort = type(world.cohort).objects.get(pk=world.cohort.pk)
    planning.sparks_plan(cohort=world.cohort)
    after = dict(Delivery.objects.values_list("participant_id", "due_at"))
    assert Delivery.objects.count() == PARTICIPANTS
    for participant_id, due in after.items():
        assert due.date() >= before[participant_id].date() + timedelta(days=5)


def test_it_brings_back_the_ask_of_someone_enrolled_again(world, knowledge_spark):
    planning.sparks_plan(cohort=world.cohort)
    ask = Delivery.objects.get(participant=world.participant)
    Delivery.objects.filter(pk=ask.pk).update(
        status=DueStatus.CANCELLED, outcome=DeliveryOutcome.CANCELLED
    )
    planning.sparks_plan(cohort=world.cohort)
    ask.refresh_from_db()
    assert (ask.status, ask.outcome) == (DueStatus.PENDING, DeliveryOutcome.WAITING)
    assert Delivery.objects.filter(participant=world.participant).count() == 1


def test_it_keeps_the_local_hour_across_a_clock_change(travel, world, knowledge_spark):
    world.cohort.time_zone = "Europe/Berlin"
    world.cohort.save(update_fields=["time_zone"])
    session = world.cohort.sessions.get()
    # Workshop on Thursday 22 October 2026; clocks go back on Sunday 25 October.
    session.starts_at = datetime(2026, 10, 22, 7, 0, tzinfo=UTC)
    session.ends_at = datetime(2026, 10, 22, 14, 0, tzinfo=UTC)
    session.save(update_fields=["starts_at", "ends_at"])
    knowledge_spark.offset_days = 4  # Monday 26 October, winter time
    knowledge_spark.save(update_fields=["offset_days"])
    cohort = type(world.cohort).objects.get(pk=world.cohort.pk)
    travel.to(datetime(2026, 10, 1, tzinfo=UTC))
    planning.sparks_plan(cohort=cohort)
    for delivery in Delivery.objects.all():
        local = delivery.due_at.astimezone(cohort.tz)
        assert local.date() == datetime(2026, 10, 26).date()
        assert time(9, 0) <= local.time() < time(17, 0)
        # Winter time: one hour ahead of UTC.
        assert local.utcoffset() == timedelta(hours=1)


def test_it_shifts_unsent_asks_by_a_vacation_hold(travel, world, knowledge_spark):
    planning.sparks_plan(cohort=world.cohort)
    ask = Delivery.objects.get(participant=world.participant)
    now = travel.freeze()
    participants.sparks_pause(
        cohort=world.cohort, user=world.participant, until=now + timedelta(days=10)
    )
    moved = Delivery.objects.get(pk=ask.pk)
    assert moved.due_at == ask.due_at + timedelta(days=10)
    other = Delivery.objects.get(participant=world.groupmate)
    assert other.due_at != moved.due_at


def test_it_cancels_unsent_asks_of_someone_who_opts_out(world, knowledge_spark):
    planning.sparks_plan(cohort=world.cohort)
    participants.sparks_opt_out(cohort=world.cohort, user=world.participant)
    assert Delivery.objects.get(participant=world.participant).status == DueStatus.CANCELLED
    assert planning.sparks_plan(cohort=world.cohort) == 0


def test_it_plans_in_the_same_queries_for_one_or_many_participants(
    world, knowledge_spark, open_spark, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # The first plan also makes the cohort's spark schedule: leave that out of the comparison.
    planning.sparks_plan(cohort=world.cohort)
    Delivery.objects.all().delete()
    with CaptureQueriesContext(connection) as few:
        planning.sparks_plan(cohort=world.cohort)
    Delivery.objects.all().delete()
    for n in range(12):
        factories.EnrolmentFactory(
            cohort=world.cohort, user=factories.UserFactory(email=f"many{n}@example.test")
        )
    with django_assert_num_queries(len(few)):
        assert planning.sparks_plan(cohort=world.cohort) == 2 * (PARTICIPANTS + 12)


def test_it_reads_only_the_asks_of_sparks_still_ahead(travel, world, knowledge_spark, open_spark):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    planning.sparks_plan(cohort=world.cohort)
    # Past the +2 days spark's first window (its asks are all out), before the +14 days one's.
    travel.to(world.cohort.last_end + timedelta(days=6))
    with CaptureQueriesContext(connection) as plan:
        assert planning.sparks_plan(cohort=world.cohort) == 0
    (locked,) = [
        q["sql"] for q in plan if '"sparks_delivery"' in q["sql"] and "FOR UPDATE" in q["sql"]
    ]
    assert f"IN ({open_spark.pk})" in locked, locked
    assert Delivery.objects.filter(spark=knowledge_spark).count() == PARTICIPANTS
