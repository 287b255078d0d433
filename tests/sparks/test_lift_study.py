"""Measure the lift: the design, the held-out sparks, the probe, and the instructors' page."""

from datetime import timedelta

import pytest
from django.urls import reverse

from notifications import scheduling
from notifications.scheduling import DueStatus
from socialtraining import clock
from sparks import answering, planning
from sparks.lift_study import LiftRefused, lift_study_start, lift_study_stop
from sparks.models import (
    PROBE_ATTEMPT,
    Delivery,
    DeliveryOutcome,
    LiftAssignment,
    LiftStudy,
    Spark,
    SparkChoice,
    SparkKind,
)
from tests import factories

OBJECTIVES = ["Feedback", "Listening", "Delegation", "Coaching"]


def knowledge(cohort, objective, offset_days, instructor=None):
    spark = Spark.objects.create(
        cohort=cohort,
        kind=SparkKind.KNOWLEDGE,
        question=f"A question on {objective.lower()} (+{offset_days})",
        objective=objective,
        offset_days=offset_days,
        created_by=instructor,
    )
    SparkChoice.objects.create(spark=spark, position=0, text="Right", is_correct=True)
    SparkChoice.objects.create(spark=spark, position=1, text="Wrong", is_correct=False)
    return spark


@pytest.fixture
def sparks(world):
    return [
        knowledge(world.cohort, objective, offset, world.instructor)
        for objective in OBJECTIVES
        for offset in (2, 9)
    ]


def participants(world):
    return [world.participant, world.groupmate, world.other_group_participant]


def design(cohort):
    rows = LiftAssignment.objects.filter(study__cohort=cohort)
    return {(a.participant_id, a.objective): a.boosted for a in rows}


def first_asks(cohort):
    return {
        (d.participant_id, d.spark.objective)
        for d in Delivery.objects.filter(spark__cohort=cohort, attempt=1)
        .exclude(status=DueStatus.CANCELLED)
        .select_related("spark")
    }


def send_due(travel, moment):
    travel.to(moment)
    while scheduling.run_now("spark_delivery"):
        pass


def test_it_boosts_half_the_objectives_of_each_person_and_holds_out_the_rest(world, sparks):
    planning.sparks_plan(cohort=world.cohort)
    study = lift_study_start(cohort=world.cohort, user=world.instructor)
    assert study.objectives == sorted(OBJECTIVES)
    rows = design(world.cohort)
    assert len(rows) == 3 * 4
    for person in participants(world):
        boosted = {o for o in OBJECTIVES if rows[(person.pk, o)]}
        assert len(boosted) == 2
        # Their knowledge sparks: both sparks of each boosted objective, none of the others.
        asked = {o for (p, o) in first_asks(world.cohort) if p == person.pk}
        assert asked == boosted
    # The two of the Blue group are one stratum: complementary halves.
    blue = [
        {o for o in OBJECTIVES if rows[(p.pk, o)]} for p in (world.participant, world.groupmate)
    ]
    assert blue[0] | blue[1] == set(OBJECTIVES)
    # Held-out asks planned before the study are cancelled, not deleted or sent.
    held = Delivery.objects.filter(
        spark__cohort=world.cohort, attempt=1, status=DueStatus.CANCELLED
    )
    assert held.count() == 3 * 2 * 2
    assert set(held.values_list("outcome", flat=True)) == {DeliveryOutcome.CANCELLED}


def test_it_plans_the_probe_of_every_objective_between_day_30_and_day_90(world, sparks):
    lift_study_start(cohort=world.cohort, user=world.instructor)
    probes = Delivery.objects.filter(spark__cohort=world.cohort, attempt=PROBE_ATTEMPT)
    last_end = world.cohort.last_end
    assert probes.count() == 3 * 4
    for person in participants(world):
        own = probes.filter(participant=person).select_related("spark")
        # One ask per objective, each with the objective's first spark (by day).
        assert {d.spark.objective for d in own} == set(OBJECTIVES)
        assert {d.spark.offset_days for d in own} == {2}
        # Four days in a row between days 30 and 90 after the workshop, each in the send window
        # (a weekend day moves to the Monday).
        days = sorted((d.due_at - last_end).days for d in own)
        assert days[0] >= 29
        assert days[-1] <= 92
        assert days[-1] - days[0] <= 5
    # Planning again changes nothing.
    assert planning.sparks_plan(cohort=world.cohort) == 0
    assert probes.count() == 3 * 4


def test_the_design_is_reproducible_from_the_stored_seed(world, sparks):
    study = lift_study_start(cohort=world.cohort, user=world.instructor)
    before = design(world.cohort)
    LiftAssignment.objects.filter(study=study).delete()
    planning.sparks_plan(cohort=world.cohort)
    assert design(world.cohort) == before


def test_the_design_is_fixed_once_the_first_ask_is_sent(travel, world, sparks):
    lift_study_start(cohort=world.cohort, user=world.instructor)
    before = design(world.cohort)
    first = Delivery.objects.filter(attempt=1, status=DueStatus.PENDING).order_by("due_at")[0]
    send_due(travel, first.due_at + timedelta(minutes=1))
    late = factories.UserFactory(email="late@example.test")
    factories.EnrolmentFactory(cohort=world.cohort, user=late, study_group=world.group)
    planning.sparks_plan(cohort=world.cohort)
    study = LiftStudy.objects.get(cohort=world.cohort)
    assert study.fixed_at is not None
    after = design(world.cohort)
    # Nobody's half moved; the newcomer has a half of their own.
    assert {k: v for k, v in after.items() if k[0] != late.pk} == before
    assert sum(after[(late.pk, o)] for o in OBJECTIVES) == 2
    # An objective added now is not part of the study: everyone gets its sparks.
    extra = knowledge(world.cohort, "Negotiation", 20)
    planning.sparks_plan(cohort=world.cohort)
    assert LiftStudy.objects.get(cohort=world.cohort).objectives == sorted(OBJECTIVES)
    assert Delivery.objects.filter(spark=extra).count() == 4
    with pytest.raises(LiftRefused, match="design is fixed"):
        lift_study_stop(cohort=world.cohort)


def test_it_cannot_start_once_a_spark_went_out_or_without_two_objectives(travel, world, sparks):
    Spark.objects.exclude(objective="Feedback").update(objective="")
    with pytest.raises(LiftRefused, match="at least two learning objectives"):
        lift_study_start(cohort=world.cohort, user=world.instructor)
    Spark.objects.update(objective="Feedback")
    Spark.objects.filter(pk=sparks[-1].pk).update(objective="Listening")
    planning.sparks_plan(cohort=world.cohort)
    first = Delivery.objects.order_by("due_at")[0]
    send_due(travel, first.due_at + timedelta(minutes=1))
    with pytest.raises(LiftRefused, match="already gone out"):
        lift_study_start(cohort=world.cohort, user=world.instructor)
    assert not LiftStudy.objects.exists()


def test_send_now_leaves_out_those_for_whom_the_objective_is_held_out(world, sparks):
    lift_study_start(cohort=world.cohort, user=world.instructor)
    spark = sparks[0]
    due = planning.spark_send_now(spark=spark)
    boosted = [p for p in participants(world) if design(world.cohort)[(p.pk, spark.objective)]]
    assert due == len(boosted)
    sendable = Delivery.objects.filter(spark=spark, attempt=1, status=DueStatus.PENDING)
    assert set(sendable.values_list("participant_id", flat=True)) == {p.pk for p in boosted}


def test_a_probe_answered_wrongly_or_missed_is_never_repeated(travel, world, sparks):
    lift_study_start(cohort=world.cohort, user=world.instructor)
    # Past every first ask and its repeats' window: only the probes are left to send.
    Delivery.objects.exclude(attempt=PROBE_ATTEMPT).delete()
    probes = list(Delivery.objects.filter(participant=world.participant).order_by("due_at"))
    send_due(travel, probes[0].due_at + timedelta(minutes=1))
    answered = Delivery.objects.get(pk=probes[0].pk)
    wrong = answered.spark.choices.get(is_correct=False)
    answering.spark_answer(delivery=answered, choice_ids=[wrong.pk])
    answering.spark_answer_confidence(delivery=answered, confidence=4)
    # The next probe goes unanswered until it expires.
    send_due(travel, probes[1].due_at + timedelta(minutes=1))
    send_due(travel, clock.now() + timedelta(days=6))
    assert Delivery.objects.get(pk=probes[1].pk).outcome == DeliveryOutcome.MISSED
    assert not Delivery.objects.exclude(attempt=PROBE_ATTEMPT).exists()


def test_stopping_before_the_first_send_gives_everyone_every_spark_again(world, sparks):
    lift_study_start(cohort=world.cohort, user=world.instructor)
    lift_study_stop(cohort=world.cohort)
    assert not LiftStudy.objects.exists()
    assert not Delivery.objects.filter(attempt=PROBE_ATTEMPT).exists()
    assert len(first_asks(world.cohort)) == 3 * 4


def test_it_lets_an_instructor_turn_it_on_and_shows_them_the_design(client_for, world, sparks):
    client = client_for(world.instructor)
    page = client.get(reverse("sparks:lift", args=[world.cohort.pk]))
    assert page.status_code == 200
    assert "Not measured in this cohort" in page.text
    response = client.post(reverse("sparks:lift_start", args=[world.cohort.pk]), follow=True)
    assert "each participant is boosted on half of the 4 learning objectives" in response.text
    assert "Who is boosted on what" in response.text
    rows = design(world.cohort)
    boosted = ", ".join(o for o in sorted(OBJECTIVES) if rows[(world.participant.pk, o)])
    assert boosted in response.text
    again = client.post(reverse("sparks:lift_start", args=[world.cohort.pk]), follow=True)
    assert "already being measured" in again.text


def test_participants_never_see_the_design(client_for, world, sparks):
    lift_study_start(cohort=world.cohort, user=world.instructor)
    client = client_for(world.participant)
    for name in ("sparks:lift", "sparks:lift_start", "sparks:lift_stop"):
        method = client.get if name == "sparks:lift" else client.post
        assert method(reverse(name, args=[world.cohort.pk])).status_code == 404
    assert LiftStudy.objects.filter(cohort=world.cohort).exists()


def test_the_design_page_costs_the_same_queries_for_more_people(
    client_for, world, sparks, django_assert_max_num_queries
):
    lift_study_start(cohort=world.cohort, user=world.instructor)
    for n in range(40):
        user = factories.UserFactory(email=f"extra{n}@example.test")
        factories.EnrolmentFactory(cohort=world.cohort, user=user)
    planning.sparks_plan(cohort=world.cohort)
    client = client_for(world.instructor)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("sparks:lift", args=[world.cohort.pk]))
    assert page.text.count("<tr>") == 1 + 43


def test_the_first_send_fixes_the_design_at_that_moment(travel, world, sparks):
    lift_study_start(cohort=world.cohort, user=world.instructor)
    first = Delivery.objects.filter(attempt=1, status=DueStatus.PENDING).order_by("due_at")[0]
    send_due(travel, first.due_at + timedelta(minutes=1))
    sent = Delivery.objects.filter(sent_at__isnull=False).order_by("sent_at").first()
    assert LiftStudy.objects.get(cohort=world.cohort).fixed_at == sent.sent_at
