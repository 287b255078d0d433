"""Planning sparks: who is asked when (the send window, the cohort's sessions) and the
instructor's plan (saving, rescheduling, sending now, cancelling, the 2 + 2 + 2 template).

Every ask is a `Delivery` row (a due row); a unique constraint per (spark, participant, attempt)
makes a second delivery of the same ask impossible.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction

from accounts.models import User
from cohorts.models import Cohort, CohortRole, Enrolment
from cohorts.timeline import Anchor, anchored_moment, local_moment
from notifications.scheduling import DueStatus
from socialtraining import clock
from sparks.lift_assignment import lift_plan, probe_deliveries
from sparks.models import (
    Delivery,
    DeliveryOutcome,
    DeliveryStep,
    Spark,
    SparkChoice,
    SparkKind,
    SparkSchedule,
    SparkSettings,
)


def schedule_for(cohort: Cohort) -> SparkSchedule:
    schedule, _ = SparkSchedule.objects.get_or_create(cohort=cohort)
    return schedule


def in_send_window(
    cohort: Cohort, schedule: SparkSchedule, moment: datetime, *, spread_key: int
) -> datetime:
    """The first moment inside the cohort's send window on or after `moment`.

    Sends spread over the window by `spread_key` (the participant), so a cohort's deliveries do
    not all land at the window's first minute; the same person always gets the same minute.
    """
    tz = cohort.tz
    local = moment.astimezone(tz)
    start = schedule.window_start
    spread = (spread_key * 7919) % _window_minutes(schedule)
    day = local.date()
    allowed = schedule.allowed_weekdays or {1, 2, 3, 4, 5, 6, 7}
    for _ in range(15):
        if day.isoweekday() in allowed:
            minutes = start.hour * 60 + start.minute + spread
            candidate = local_moment(cohort, day, time(minutes // 60, minutes % 60))
            if candidate >= moment:
                return candidate
        day += timedelta(days=1)
    raise ValueError("The send window has no allowed weekday.")


def _window_minutes(schedule: SparkSchedule) -> int:
    start, end = schedule.window_start, schedule.window_end
    return max(1, (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute))


def _first_window_end(cohort: Cohort, schedule: SparkSchedule, first_day: datetime) -> datetime:
    """A moment after every participant's first ask of a spark whose first day is `first_day`
    (each lands in that day's window, a minute of its own), with an hour to spare for a clock
    change within the window."""
    opens = in_send_window(cohort, schedule, first_day, spread_key=0)
    return opens + timedelta(minutes=_window_minutes(schedule), hours=1)


def first_day_of(spark: Spark) -> datetime | None:
    """Midnight of the day a spark first goes out (its offset after the last session), or None
    while the cohort has no sessions. Each participant's ask lands in that day's send window."""
    return anchored_moment(
        spark.cohort, anchor=Anchor.AFTER_LAST, offset_days=spark.offset_days, at=time(0, 0)
    )


def _participants(cohort: Cohort) -> dict[int, Enrolment]:
    opted_out = SparkSettings.objects.filter(cohort=cohort, opted_out_at__isnull=False).values(
        "user_id"
    )
    enrolments = Enrolment.objects.filter(
        cohort=cohort, role=CohortRole.PARTICIPANT, user__is_active=True
    ).exclude(user_id__in=opted_out)
    return {e.user_id: e for e in enrolments}


@transaction.atomic
def sparks_plan(*, cohort: Cohort) -> int:
    """Make the first ask of every active spark for every participant, where it is still ahead.

    Safe to run at any time and any number of times: existing asks are kept (their time follows
    the plan while they wait to be sent), a late enrolment gets only the sparks still ahead, and a
    cancelled ask (a participant removed) comes back if they were enrolled again in time.
    Returns how many asks were created or moved.
    """
    now = clock.now()
    # The sessions' bounds, read once: every spark's day derives from them.
    cohort = Cohort.objects.with_schedule().get(pk=cohort.pk)
    schedule = schedule_for(cohort)
    participants = _participants(cohort)
    lift = lift_plan(cohort=cohort, participants=participants)
    first_days = {}
    for spark in cohort.sparks.filter(cancelled_at__isnull=True):
        spark.cohort = cohort
        first_days[spark] = first_day_of(spark)
    # A spark whose first window has closed can neither gain an ask nor move one: of its asks,
    # only those a lift study may still cancel are read (an hourly plan of a large cohort would
    # otherwise load every ask it ever made).
    ahead, past = [], []
    for spark, day in first_days.items():
        if day is not None:
            (ahead if _first_window_end(cohort, schedule, day) > now else past).append(spark)
    asks = Delivery.objects.select_for_update().filter(attempt=1)
    existing = {(d.spark_id, d.participant_id): d for d in asks.filter(spark__in=ahead)}
    to_create, changed = [], []
    if lift.held_out and past:
        waiting = asks.filter(spark__in=past, status=DueStatus.PENDING, sent_at__isnull=True)
        sparks_by_pk = {spark.pk: spark for spark in past}
        for delivery in waiting:
            if delivery.participant_id in participants and lift.holds_out(
                sparks_by_pk[delivery.spark_id], delivery.participant_id
            ):
                delivery.status, delivery.outcome = DueStatus.CANCELLED, DeliveryOutcome.CANCELLED
                changed.append(delivery)
    for spark in ahead:
        first_day = first_days[spark]
        for user_id in participants:
            due = in_send_window(cohort, schedule, first_day, spread_key=user_id)
            delivery = existing.get((spark.pk, user_id))
            if lift.holds_out(spark, user_id):
                # Held out for this person by the cohort's lift study: never asked, only probed.
                if (
                    delivery is not None
                    and delivery.status == DueStatus.PENDING
                    and delivery.sent_at is None
                ):
                    delivery.status, delivery.outcome = (
                        DueStatus.CANCELLED,
                        DeliveryOutcome.CANCELLED,
                    )
                    changed.append(delivery)
                continue
            if delivery is None:
                if due > now:
                    to_create.append(Delivery(spark=spark, participant_id=user_id, due_at=due))
                continue
            waiting_to_send = delivery.step == DeliveryStep.SEND and delivery.sent_at is None
            if not waiting_to_send or due <= now:
                continue
            # An ask already due (sent now by an instructor) stays due: it goes out next minute.
            if (
                delivery.status == DueStatus.PENDING
                and delivery.due_at != due
                and delivery.due_at > now
            ):
                delivery.due_at = due
                changed.append(delivery)
            elif delivery.status == DueStatus.CANCELLED:
                delivery.status, delivery.due_at = DueStatus.PENDING, due
                delivery.outcome, delivery.closed_at = DeliveryOutcome.WAITING, None
                changed.append(delivery)
    probes, moved = probe_deliveries(
        lift,
        cohort,
        place=lambda moment, user_id: in_send_window(cohort, schedule, moment, spread_key=user_id),
        now=now,
    )
    to_create += probes
    changed += moved
    # ignore_conflicts: a plan running at the same moment made the same asks; one row each.
    Delivery.objects.bulk_create(to_create, ignore_conflicts=True)
    Delivery.objects.bulk_update(changed, ["status", "due_at", "outcome", "closed_at"])
    return len(to_create) + len(changed)


def sparks_follow_schedule(*, cohort: Cohort, previous_time_zone: str) -> None:
    """cohorts.hooks callback: the sessions or time zone moved, so the plan moves with them."""
    sparks_plan(cohort=cohort)


@transaction.atomic
def spark_cancel(*, spark: Spark) -> int:
    """Cancel a spark: asks not yet sent never go out; sent ones stay answerable."""
    spark.cancelled_at = clock.now()
    spark.save(update_fields=["cancelled_at"])
    return Delivery.objects.filter(
        spark=spark, status=DueStatus.PENDING, step=DeliveryStep.SEND
    ).update(status=DueStatus.CANCELLED, outcome=DeliveryOutcome.CANCELLED)


class SparkLocked(Exception):
    """A change refused because asks already went out, for a reason the instructor should read."""


# Fields an instructor may still change once asks went out: they apply to the asks still to go
# and to the answer page. Kind, target and choices stay, so answers given keep their meaning.
SPARK_FIELDS = ("kind", "question", "explanation", "objective", "ask_confidence", "target")
LOCKED_AFTER_SEND = ("kind", "target")


def spark_has_sent(spark: Spark) -> bool:
    return spark.pk is not None and spark.deliveries.filter(sent_at__isnull=False).exists()


@transaction.atomic
def spark_save(
    *,
    cohort: Cohort,
    spark: Spark | None,
    fields: dict,
    offset_days: int,
    choices: list[tuple[str, bool]],
    user: User | None = None,
    source_post=None,
) -> Spark:
    """Write a new spark or change one, then re-plan the cohort's asks.

    Once an ask went out, its kind, target and choices stay as they are (answers given keep their
    meaning); the wording, explanation, objective and the day apply to the asks still to go.
    """
    if spark is None:
        spark = Spark(cohort=cohort, created_by=user, source_post=source_post)
    elif spark.cancelled_at:
        raise SparkLocked("This spark is cancelled: it no longer changes.")
    sent = spark_has_sent(spark)
    if sent:
        current = [(c.text, c.is_correct) for c in spark.choices.all()]
        if any(fields[name] != getattr(spark, name) for name in LOCKED_AFTER_SEND) or (
            spark.kind == SparkKind.KNOWLEDGE and choices != current
        ):
            raise SparkLocked(
                "This spark has already gone out, so its kind, its audience and its choices "
                "stay as they are: answers already given keep their meaning. You can still "
                "change the wording, the explanation, the learning objective and the day of "
                "the asks that have not gone out yet."
            )
    for name in SPARK_FIELDS:
        setattr(spark, name, fields[name])
    spark.offset_days = offset_days
    spark.save()
    if not sent:
        spark.choices.all().delete()
        if spark.kind == SparkKind.KNOWLEDGE:
            spark.choices.bulk_create(
                SparkChoice(spark=spark, position=n, text=text, is_correct=correct)
                for n, (text, correct) in enumerate(choices)
            )
    sparks_plan(cohort=cohort)
    return spark


@transaction.atomic
def spark_reschedule(*, spark: Spark, offset_days: int) -> int:
    """Move a spark to another day after the workshop; its asks still to go move with it."""
    if spark.cancelled_at:
        raise SparkLocked("This spark is cancelled: it no longer moves.")
    spark.offset_days = offset_days
    spark.save(update_fields=["offset_days"])
    return sparks_plan(cohort=spark.cohort)


@transaction.atomic
def spark_send_now(*, spark: Spark) -> int:
    """Make the spark's first asks due now: the minute dispatcher sends them, as any due ask.

    Participants without a first ask yet (the spark's day had passed when it was written) get one
    due now; asks already sent, answered or cancelled stay as they are. Returns how many are due.
    """
    now = clock.now()
    if spark.cancelled_at:
        raise SparkLocked("This spark is cancelled: it will not be sent.")
    participants = _participants(spark.cohort)
    lift = lift_plan(cohort=spark.cohort, participants=participants)
    participants = {u: e for u, e in participants.items() if not lift.holds_out(spark, u)}
    Delivery.objects.bulk_create(
        [Delivery(spark=spark, participant_id=user_id, due_at=now) for user_id in participants],
        ignore_conflicts=True,
    )
    return Delivery.objects.filter(
        spark=spark,
        attempt=1,
        participant_id__in=list(participants),
        status=DueStatus.PENDING,
        step=DeliveryStep.SEND,
        sent_at__isnull=True,
    ).update(due_at=now)


# The 2 + 2 + 2 booster rhythm: recall after 2 days, application after 2 weeks, integration after
# 2 months. Open questions, written to be adapted to the workshop.
TWO_TWO_TWO = (
    (
        2,
        "Recall",
        "Two days on: what is the one idea from the workshop you remember best, and why does it "
        "matter for your work?",
    ),
    (
        14,
        "Application",
        "Two weeks on: describe one moment when you used something from the workshop. What did "
        "you do, and what happened?",
    ),
    (
        60,
        "Integration",
        "Two months on: what do you now do differently because of the workshop, and what would "
        "you still like to get better at?",
    ),
)


def days_since_workshop(cohort: Cohort) -> int | None:
    """Days from the last session's day to today on the cohort's wall clock (negative before
    it), or None while the cohort has no sessions."""
    end = cohort.last_end
    if end is None:
        return None
    today = clock.now().astimezone(cohort.tz).date()
    return (today - end.astimezone(cohort.tz).date()).days


def two_two_two_passed(cohort: Cohort) -> list[int]:
    """The boosters' days (2, 14, 60) already past: counted from the workshop, nobody gets them."""
    since = days_since_workshop(cohort)
    return [days for days, _, _ in TWO_TWO_TWO if since is not None and days < since]


@transaction.atomic
def sparks_add_two_two_two(
    *, cohort: Cohort, user: User | None = None, from_day: int = 0, only_ahead: bool = False
) -> list[Spark]:
    """Add the three booster sparks (+2 days, +14 days, +60 days) to the cohort's plan.

    `from_day` counts them from that many days after the workshop instead (today's, for a
    workshop long past); `only_ahead` leaves out those whose day has passed. A booster the plan
    already holds (same question, not cancelled) is not added twice.
    """
    existing = set(
        cohort.sparks.filter(cancelled_at__isnull=True).values_list("question", flat=True)
    )
    passed = set(two_two_two_passed(cohort)) if only_ahead else set()
    added = [
        Spark.objects.create(
            cohort=cohort,
            kind=SparkKind.OPEN,
            question=question,
            objective=objective,
            offset_days=from_day + days,
            created_by=user,
        )
        for days, objective, question in TWO_TWO_TWO
        if question not in existing and days not in passed
    ]
    if added:
        sparks_plan(cohort=cohort)
    return added


@transaction.atomic
def spark_schedule_update(
    *,
    cohort: Cohort,
    window_start: time,
    window_end: time,
    weekdays: str,
    repeat_mode: str,
) -> SparkSchedule:
    """Change the send window and repeat mode; asks still to go move into the new window."""
    schedule = schedule_for(cohort)
    schedule.window_start, schedule.window_end = window_start, window_end
    schedule.weekdays, schedule.repeat_mode = weekdays, repeat_mode
    schedule.save(update_fields=["window_start", "window_end", "weekdays", "repeat_mode"])
    sparks_plan(cohort=cohort)
    return schedule
