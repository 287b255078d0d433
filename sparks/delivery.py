"""Delivering sparks: the dispatcher claims asks when due, in batches, and `deliveries_step`
sends them, later reminds once, and finally expires them unless answered. The outbox key per
delivery makes a second email impossible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import dateformat

from accounts.models import User
from cohorts.models import Cohort, CohortRole, Enrolment
from notifications.emails import EmailTemplate, absolute_url, path_for, slot
from notifications.models import EmailKind
from notifications.services import Notice, notify_many, unsubscribe_label
from socialtraining import clock
from sparks import links
from sparks.answering import MAX_ATTEMPTS, repeat_wait
from sparks.lift_assignment import lift_designs_fix
from sparks.models import (
    Delivery,
    DeliveryOutcome,
    DeliveryStep,
    RepeatMode,
    Spark,
    SparkKind,
    SparkSchedule,
    SparkSettings,
)
from sparks.planning import in_send_window, schedule_for


@dataclass
class _Batch:
    """What a batch of deliveries needs, read in a handful of queries for the whole batch."""

    sparks: dict[int, Spark]
    settings: dict[tuple[int, int], SparkSettings]
    enrolled: set[tuple[int, int]]
    schedules: dict[int, SparkSchedule]
    people: dict[int, User]

    @classmethod
    def load(cls, deliveries: list[Delivery]) -> _Batch:
        sparks = Spark.objects.select_related("cohort").prefetch_related("choices")
        sparks = sparks.in_bulk({d.spark_id for d in deliveries})
        cohort_ids = {spark.cohort_id for spark in sparks.values()}
        people_ids = {d.participant_id for d in deliveries}
        schedules = {s.cohort_id: s for s in SparkSchedule.objects.filter(cohort_id__in=cohort_ids)}
        for cohort_id in cohort_ids - set(schedules):
            schedules[cohort_id] = schedule_for(Cohort(pk=cohort_id))
        return cls(
            sparks=sparks,
            settings={
                (row.cohort_id, row.user_id): row
                for row in SparkSettings.objects.filter(
                    cohort_id__in=cohort_ids, user_id__in=people_ids
                )
            },
            enrolled=set(
                Enrolment.objects.filter(
                    cohort_id__in=cohort_ids,
                    user_id__in=people_ids,
                    role=CohortRole.PARTICIPANT,
                    user__is_active=True,
                ).values_list("cohort_id", "user_id")
            ),
            schedules=schedules,
            people=User.objects.select_related("notification_preference").in_bulk(people_ids),
        )


def deliveries_step(deliveries: list[Delivery]) -> dict[int, datetime]:
    """Do the step that came due for each delivery of a batch; return when each next one is due.

    Runs inside the due-row engine's transaction, which holds the rows' locks and marks every row
    not returned here done, so each step happens once. Cancellation, opting out, leaving the
    cohort and a vacation hold are checked first, every time. Set-based: the batch's sparks,
    settings, enrolments and people are read once, its notifications and emails inserted at once.
    """
    now = clock.now()
    batch = _Batch.load(deliveries)
    next_due: dict[int, datetime] = {}
    sends: list[Delivery] = []
    reminders: list[Delivery] = []
    missed: list[Delivery] = []
    for delivery in deliveries:
        spark = delivery.spark = batch.sparks[delivery.spark_id]
        if delivery.outcome != DeliveryOutcome.WAITING:
            continue
        pair = (spark.cohort_id, delivery.participant_id)
        own = batch.settings.get(pair)
        if spark.cancelled_at or pair not in batch.enrolled or (own and own.opted_out_at):
            delivery.outcome, delivery.closed_at = DeliveryOutcome.CANCELLED, now
        elif delivery.step == DeliveryStep.SEND:
            if own and own.paused_until and own.paused_until > now:
                # A vacation hold: the ask waits until the hold ends, then lands in the window.
                next_due[delivery.pk] = in_send_window(
                    spark.cohort,
                    batch.schedules[spark.cohort_id],
                    own.paused_until,
                    spread_key=delivery.participant_id,
                )
                continue
            delivery.step, delivery.sent_at = DeliveryStep.REMIND, now
            next_due[delivery.pk] = now + timedelta(hours=settings.SPARK_REMIND_AFTER_HOURS)
            sends.append(delivery)
        elif delivery.step == DeliveryStep.REMIND:
            delivery.step, delivery.reminded_at = DeliveryStep.EXPIRE, now
            next_due[delivery.pk] = delivery.sent_at + timedelta(
                days=settings.SPARK_EXPIRE_AFTER_DAYS
            )
            reminders.append(delivery)
        else:
            delivery.outcome, delivery.closed_at = DeliveryOutcome.MISSED, now
            missed.append(delivery)
    notify_many(
        _notices(sends, batch, key="spark", title="A question from {cohort}", template="spark")
        + _notices(
            reminders,
            batch,
            key="spark-reminder",
            title="Still time to answer",
            template="spark_reminder",
        )
    )
    # What changed is the same for every ask of a step: one update per step, not a CASE per row.
    Delivery.objects.filter(pk__in=[d.pk for d in sends]).update(
        step=DeliveryStep.REMIND, sent_at=now
    )
    if sends:
        # A cohort's lift design is fixed once its first ask is out (a pre-registration).
        lift_designs_fix(cohort_ids={d.spark.cohort_id for d in sends}, at=now)
    Delivery.objects.filter(pk__in=[d.pk for d in reminders]).update(
        step=DeliveryStep.EXPIRE, reminded_at=now
    )
    for outcome in (DeliveryOutcome.CANCELLED, DeliveryOutcome.MISSED):
        closed = [d.pk for d in deliveries if d.outcome == outcome and d.closed_at == now]
        Delivery.objects.filter(pk__in=closed).update(outcome=outcome, closed_at=now)
    _ask_again_missed(missed, batch, now=now)
    return next_due


def _notices(
    deliveries: list[Delivery], batch: _Batch, *, key: str, title: str, template: str
) -> list[Notice]:
    """One notice per ask, each spark's email rendered once with a slot per signed link."""
    emails: dict[int, EmailTemplate] = {}
    notices = []
    for delivery in deliveries:
        spark = delivery.spark
        if spark.pk not in emails:
            emails[spark.pk] = EmailTemplate(template, spark_email_context(delivery=delivery))
        choices = spark.choices.all() if spark.kind == SparkKind.KNOWLEDGE else []
        notices.append(
            Notice(
                user=batch.people[delivery.participant_id],
                key=f"{key}:{delivery.pk}",
                kind=EmailKind.SPARK,
                title=title.format(cohort=spark.cohort.name),
                body=spark.question,
                # In-app the person is signed in: the plain answer page. The email carries the
                # signed links.
                url=path_for("sparks:answer", delivery.pk),
                email=emails[spark.pk],
                values={
                    "answer_url": absolute_url(links.delivery_link_path(delivery)),
                    **{
                        f"choice{n}": absolute_url(links.choice_link_path(delivery, choice))
                        for n, choice in enumerate(choices)
                    },
                },
            )
        )
    return notices


def _ask_again_missed(missed: list[Delivery], batch: _Batch, *, now: datetime) -> None:
    """The next asks of knowledge sparks that went unanswered, as each cohort's repeat mode says."""
    repeats = []
    for delivery in missed:
        spark = delivery.spark
        if spark.kind != SparkKind.KNOWLEDGE or not 0 < delivery.attempt < MAX_ATTEMPTS:
            continue
        schedule = batch.schedules[spark.cohort_id]
        if schedule.repeat_mode == RepeatMode.NONE or (
            schedule.repeat_mode == RepeatMode.MISSED and delivery.attempt > 1
        ):
            continue
        due = in_send_window(
            spark.cohort,
            schedule,
            now + repeat_wait(well=False),
            spread_key=delivery.participant_id,
        )
        repeats.append(
            Delivery(
                spark=spark,
                participant_id=delivery.participant_id,
                attempt=delivery.attempt + 1,
                due_at=due,
            )
        )
    Delivery.objects.bulk_create(repeats, ignore_conflicts=True)


def spark_email_context(*, delivery: Delivery) -> dict:
    """What the spark emails show: the question, the signed link, and for a knowledge spark one
    signed one-click link per choice. The links are slots, filled per person (see `_notices`):
    the same rendered email serves everyone the spark goes to in a batch."""
    spark = delivery.spark
    choices = []
    if spark.kind == SparkKind.KNOWLEDGE:
        choices = [
            {"text": c.text, "url": slot(f"choice{n}")} for n, c in enumerate(spark.choices.all())
        ]
    sent_at = delivery.sent_at or clock.now()
    return {
        "kind_label": unsubscribe_label(EmailKind.SPARK),
        "spark": spark,
        "cohort_name": spark.cohort.name,
        "question": spark.question,
        "choices": choices,
        "url": slot("answer_url"),
        # Formatted here, on the cohort's wall clock: the template's date filter would turn it
        # back into the worker's zone (UTC), and "00:12 UTC" is nobody's deadline.
        "answer_by": dateformat.format(
            (sent_at + timedelta(days=settings.SPARK_EXPIRE_AFTER_DAYS)).astimezone(
                spark.cohort.tz
            ),
            "l j F, H:i T",
        ),
        "settings_url": absolute_url(reverse("sparks:my_settings", args=[spark.cohort_id])),
        "link_days": settings.SPARK_LINK_MAX_AGE // (24 * 3600),
    }
