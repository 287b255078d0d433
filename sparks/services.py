"""Planning, delivering, answering and repeating sparks.

Every ask is a `Delivery` row (a due row): the dispatcher claims asks when due, in batches, and
`deliveries_step` sends them, later reminds once, and finally expires them unless answered. A
unique constraint per (spark, participant, attempt) makes a second delivery of the same ask
impossible; the outbox key per delivery makes a second email impossible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import dateformat

from accounts.models import User
from cohorts.models import Cohort, CohortRole, Enrolment
from cohorts.timeline import Anchor, anchored_moment, local_moment
from discussions import posting
from discussions.models import Follow, PostKind, Thread
from notifications.emails import EmailTemplate, absolute_url, slot
from notifications.models import EmailKind
from notifications.scheduling import DueStatus
from notifications.services import Notice, notify_many, unsubscribe_label
from socialtraining import clock
from sparks import links
from sparks.lift_assignment import lift_designs_fix, lift_plan, probe_deliveries
from sparks.models import (
    Delivery,
    DeliveryOutcome,
    DeliveryStep,
    RepeatMode,
    Spark,
    SparkAnswer,
    SparkChoice,
    SparkKind,
    SparkSchedule,
    SparkSettings,
    SparkTarget,
    SparkThread,
)

# A knowledge spark answered wrongly or unsurely comes back sooner than one answered well.
REPEAT_SOON_DAYS = 3
REPEAT_LATER_DAYS = 7
# Correct answers (sure of them) that retire a knowledge spark as mastered.
MASTERY_CORRECT = 2
MAX_ATTEMPTS = 5
# "How sure are you?" at or below this is a guess, even when right.
UNSURE_CONFIDENCE = 2


class SparkClosed(Exception):
    """This ask no longer takes an answer, for a reason the participant should read."""


class AnswerInvalid(Exception):
    """An answer refused for a reason the participant should read (their text is kept)."""


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
    start, end = schedule.window_start, schedule.window_end
    window_minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    spread = (spread_key * 7919) % max(1, window_minutes)
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
    sparks = list(cohort.sparks.filter(cancelled_at__isnull=True))
    existing = {
        (d.spark_id, d.participant_id): d
        for d in Delivery.objects.select_for_update().filter(spark__in=sparks, attempt=1)
    }
    to_create, changed = [], []
    for spark in sparks:
        spark.cohort = cohort
        first_day = first_day_of(spark)
        if first_day is None:
            continue
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


def _enrolled(delivery: Delivery) -> Enrolment | None:
    return (
        Enrolment.objects.filter(
            cohort_id=delivery.spark.cohort_id,
            user_id=delivery.participant_id,
            role=CohortRole.PARTICIPANT,
            user__is_active=True,
        )
        .select_related("study_group")
        .first()
    )


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
                url=reverse("sparks:answer", args=[delivery.pk]),
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
            now + timedelta(days=REPEAT_SOON_DAYS),
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


def _ask_again(delivery: Delivery, *, answered_well: bool, now: datetime) -> Delivery | None:
    """Schedule the next ask of a knowledge spark, as the cohort's repeat mode says.

    Until mastered: a wrong, unsure or missed answer comes back after REPEAT_SOON_DAYS, a good
    one after REPEAT_LATER_DAYS, until MASTERY_CORRECT good answers retire it. Only missed: a
    wrong or missed answer comes back once. None: nothing comes back.
    """
    spark = delivery.spark
    # A lift study's probe (attempt 0) measures; it is never repeated.
    if spark.kind != SparkKind.KNOWLEDGE or not 0 < delivery.attempt < MAX_ATTEMPTS:
        return None
    mode = schedule_for(spark.cohort).repeat_mode
    if mode == RepeatMode.NONE:
        return None
    if mode == RepeatMode.MISSED and (answered_well or delivery.attempt > 1):
        return None
    if mode == RepeatMode.UNTIL_MASTERED and answered_well:
        good = SparkAnswer.objects.filter(
            delivery__spark=spark,
            delivery__participant_id=delivery.participant_id,
            is_correct=True,
        ).filter(Q(confidence__isnull=True) | Q(confidence__gt=UNSURE_CONFIDENCE))
        if good.count() >= MASTERY_CORRECT:
            return None
    wait = REPEAT_LATER_DAYS if answered_well else REPEAT_SOON_DAYS
    due = in_send_window(
        spark.cohort,
        schedule_for(spark.cohort),
        now + timedelta(days=wait),
        spread_key=delivery.participant_id,
    )
    repeat, _ = Delivery.objects.get_or_create(
        spark=spark,
        participant_id=delivery.participant_id,
        attempt=delivery.attempt + 1,
        defaults={"due_at": due},
    )
    return repeat


def spark_thread(*, spark: Spark, enrolment: Enrolment) -> Thread:
    """The thread where this participant's answer is discussed: the cohort's or their group's."""
    group = enrolment.study_group if spark.target == SparkTarget.GROUPS else None
    link = SparkThread.objects.select_related("thread").filter(spark=spark, study_group=group)
    existing = link.first()
    if existing is not None:
        return existing.thread
    # Two first answers at once: the spark's row lock lets one make the thread, the other finds it.
    Spark.objects.select_for_update().filter(pk=spark.pk).first()
    existing = link.first()
    if existing is not None:
        return existing.thread
    thread = Thread.objects.create(
        cohort=spark.cohort,
        study_group=group,
        author=spark.created_by,
        kind=PostKind.QUESTION,
        title=spark.question,
        # Peers' answers show once you have given yours.
        post_first=True,
    )
    SparkThread.objects.create(spark=spark, study_group=group, thread=thread)
    # The spark's author follows its thread as any thread's author does, so answers reach them.
    if spark.created_by_id:
        Follow.objects.get_or_create(thread=thread, user_id=spark.created_by_id)
    return thread


def _answer_text(spark: Spark, text: str, picked: list) -> str:
    if spark.kind == SparkKind.OPEN:
        return text
    chosen = "; ".join(choice.text for choice in picked)
    return f"**My answer:** {chosen}" + (f"\n\n{text}" if text else "")


@transaction.atomic
def spark_answer(
    *,
    delivery: Delivery,
    text: str = "",
    choice_ids: list[int] | tuple[int, ...] = (),
    confidence: int | None = None,
) -> SparkAnswer:
    """Answer one ask: record it, post it into the spark's thread, and plan what comes next."""
    now = clock.now()
    delivery = (
        Delivery.objects.select_for_update().select_related("spark__cohort").get(pk=delivery.pk)
    )
    spark = delivery.spark
    if delivery.outcome == DeliveryOutcome.ANSWERED:
        raise SparkClosed("You have already answered this one. Thank you!")
    if delivery.outcome != DeliveryOutcome.WAITING or delivery.sent_at is None:
        raise SparkClosed("This question is closed: it no longer takes answers.")
    enrolment = _enrolled(delivery)
    if enrolment is None:
        raise SparkClosed("You are no longer part of this cohort.")
    text = text.strip()
    picked = []
    if spark.kind == SparkKind.KNOWLEDGE:
        valid = {c.pk: c for c in spark.choices.all()}
        if not choice_ids:
            raise AnswerInvalid("Choose an answer.")
        if any(pk not in valid for pk in choice_ids):
            raise AnswerInvalid("That choice is not one of this question's answers.")
        picked = [valid[pk] for pk in dict.fromkeys(choice_ids)]
        if confidence is not None and confidence not in (1, 2, 3, 4):
            raise AnswerInvalid("Say how sure you are with one of the four options.")
    elif not text:
        raise AnswerInvalid("Write your answer first.")
    correct = None
    if spark.kind == SparkKind.KNOWLEDGE:
        right = {pk for pk, choice in valid.items() if choice.is_correct}
        correct = {c.pk for c in picked} == right
    thread = spark_thread(spark=spark, enrolment=enrolment)
    post = posting.post_reply(
        thread=thread,
        author=User.objects.get(pk=delivery.participant_id),
        body=_answer_text(spark, text, picked),
        idempotency_key=f"spark-answer:{delivery.pk}",
    )
    answer = SparkAnswer.objects.create(
        delivery=delivery,
        text=text,
        confidence=confidence,
        is_correct=correct,
        post=post,
        created_at=now,
    )
    answer.choices.set(picked)
    # The ask is finished: its reminder and expiry never run.
    delivery.outcome, delivery.closed_at = DeliveryOutcome.ANSWERED, now
    delivery.status, delivery.done_at, delivery.claimed_until = DueStatus.DONE, now, None
    delivery.save(update_fields=["outcome", "closed_at", "status", "done_at", "claimed_until"])
    sure = confidence is None or confidence > UNSURE_CONFIDENCE
    _ask_again(delivery, answered_well=bool(correct) and sure, now=now)
    return answer


@transaction.atomic
def spark_cancel(*, spark: Spark) -> int:
    """Cancel a spark: asks not yet sent never go out; sent ones stay answerable."""
    spark.cancelled_at = clock.now()
    spark.save(update_fields=["cancelled_at"])
    return Delivery.objects.filter(
        spark=spark, status=DueStatus.PENDING, step=DeliveryStep.SEND
    ).update(status=DueStatus.CANCELLED, outcome=DeliveryOutcome.CANCELLED)


@transaction.atomic
def sparks_pause(*, cohort: Cohort, user: User, until: datetime) -> SparkSettings:
    """A vacation hold: every ask still to be sent shifts by the length of the pause.

    Shifting keeps the spacing between sparks, so the return from holiday brings no burst; the
    send step also checks the hold, for asks planned while it lasts.
    """
    now = clock.now()
    row, _ = SparkSettings.objects.get_or_create(cohort=cohort, user=user)
    previous = row.paused_until if row.paused_until and row.paused_until > now else now
    shift = until - previous
    row.paused_until = until
    row.save(update_fields=["paused_until"])
    if shift > timedelta(0):
        Delivery.objects.filter(
            spark__cohort=cohort,
            participant=user,
            status=DueStatus.PENDING,
            step=DeliveryStep.SEND,
        ).update(due_at=F("due_at") + shift)
    return row


@transaction.atomic
def sparks_opt_out(*, cohort: Cohort, user: User) -> SparkSettings:
    row, _ = SparkSettings.objects.get_or_create(cohort=cohort, user=user)
    row.opted_out_at = clock.now()
    row.save(update_fields=["opted_out_at"])
    Delivery.objects.filter(
        spark__cohort=cohort, participant=user, status=DueStatus.PENDING, step=DeliveryStep.SEND
    ).update(status=DueStatus.CANCELLED, outcome=DeliveryOutcome.CANCELLED)
    return row


# Participant side and operations (issue 5): the email, confidence after a one-click answer, the
# inbox, and a participant's own settings per cohort.


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


@transaction.atomic
def spark_answer_confidence(*, delivery: Delivery, confidence: int) -> SparkAnswer:
    """Record "how sure were you?" given just after a one-click answer, before the result shows.

    The next ask was planned as if the answer were sure; an unsure one comes back sooner and does
    not count towards mastery, so the next ask (not yet sent) is planned again.
    """
    if confidence not in (1, 2, 3, 4):
        raise AnswerInvalid("Say how sure you are with one of the four options.")
    delivery = (
        Delivery.objects.select_for_update().select_related("spark__cohort").get(pk=delivery.pk)
    )
    answer = SparkAnswer.objects.filter(delivery=delivery).first()
    if answer is None:
        raise SparkClosed("Answer the question first.")
    if answer.confidence is not None:
        return answer
    answer.confidence = confidence
    answer.save(update_fields=["confidence"])
    if delivery.is_probe:
        return answer
    Delivery.objects.filter(
        spark_id=delivery.spark_id,
        participant_id=delivery.participant_id,
        attempt=delivery.attempt + 1,
        status=DueStatus.PENDING,
        sent_at__isnull=True,
    ).delete()
    sure = confidence > UNSURE_CONFIDENCE
    _ask_again(delivery, answered_well=bool(answer.is_correct) and sure, now=answer.created_at)
    return answer


def sparks_inbox(*, user: User) -> dict[str, list[Delivery]]:
    """A participant's asks across cohorts: waiting, answered and missed (newest first, 50 each).

    Asks not yet sent are not shown: a spark arrives when it is due, not before.
    """
    asks = (
        Delivery.objects.filter(participant=user, sent_at__isnull=False)
        .select_related("spark__cohort", "answer")
        .order_by("-sent_at", "-pk")
    )
    waiting = list(asks.filter(outcome=DeliveryOutcome.WAITING)[:50])
    for ask in waiting:
        ask.closes_at = ask.sent_at + timedelta(days=settings.SPARK_EXPIRE_AFTER_DAYS)
    return {
        "waiting": waiting,
        "answered": list(asks.filter(outcome=DeliveryOutcome.ANSWERED)[:50]),
        "missed": list(asks.filter(outcome=DeliveryOutcome.MISSED)[:50]),
    }


@transaction.atomic
def sparks_resume(*, cohort: Cohort, user: User) -> SparkSettings:
    """End a vacation hold early: asks still shifted by the hold move back by what is left of it.

    Asks never go earlier than now; the send step places them in the cohort's send window.
    """
    now = clock.now()
    row, _ = SparkSettings.objects.select_for_update().get_or_create(cohort=cohort, user=user)
    if row.paused_until and row.paused_until > now:
        left = row.paused_until - now
        waiting = Delivery.objects.filter(
            spark__cohort=cohort,
            participant=user,
            status=DueStatus.PENDING,
            step=DeliveryStep.SEND,
        )
        waiting.update(due_at=F("due_at") - left)
        waiting.filter(due_at__lt=now).update(due_at=now)
    row.paused_until = None
    row.save(update_fields=["paused_until"])
    return row


@transaction.atomic
def sparks_opt_in(*, cohort: Cohort, user: User) -> SparkSettings:
    """Take sparks again after opting out: the sparks still ahead are planned for this person."""
    row, _ = SparkSettings.objects.get_or_create(cohort=cohort, user=user)
    row.opted_out_at = None
    row.save(update_fields=["opted_out_at"])
    sparks_plan(cohort=cohort)
    return row


# --- Instructor planning (issue 5: the spark plan, the 2 + 2 + 2 template, send now) ---------


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
