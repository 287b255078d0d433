"""Answering a spark: the answer recorded and posted into the spark's thread, and the next ask of a
knowledge spark as the cohort's repeat mode says."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from accounts.models import User
from cohorts.models import CohortRole, Enrolment
from discussions import posting
from discussions.models import Follow, PostKind, Thread
from notifications.scheduling import DueStatus
from socialtraining import clock
from sparks.models import (
    Delivery,
    DeliveryOutcome,
    RepeatMode,
    Spark,
    SparkAnswer,
    SparkKind,
    SparkTarget,
    SparkThread,
)
from sparks.planning import in_send_window, schedule_for

# A knowledge spark answered wrongly or unsurely comes back sooner than one answered well.
REPEAT_SOON_DAYS = 3
REPEAT_LATER_DAYS = 7
# Correct answers (sure of them) that retire a knowledge spark as mastered.
MASTERY_CORRECT = 2
MAX_ATTEMPTS = 5
# "How sure are you?" at or below this is a guess, even when right.
UNSURE_CONFIDENCE = 2
# The rule of `answered_well` as a filter on SparkAnswer rows (the plan's mastery count).
WELL_ANSWERED = Q(is_correct=True) & (
    Q(confidence__isnull=True) | Q(confidence__gt=UNSURE_CONFIDENCE)
)


def answered_well(*, correct: bool | None, confidence: int | None) -> bool:
    """Right and sure of it (a spark that does not ask counts as sure): what comes back later,
    and MASTERY_CORRECT times retires the spark."""
    return bool(correct) and (confidence is None or confidence > UNSURE_CONFIDENCE)


def repeat_wait(*, well: bool) -> timedelta:
    """How long until a knowledge spark is asked again after an answer (missed: not well)."""
    return timedelta(days=REPEAT_LATER_DAYS if well else REPEAT_SOON_DAYS)


class SparkClosed(Exception):
    """This ask no longer takes an answer, for a reason the participant should read."""


class AnswerInvalid(Exception):
    """An answer refused for a reason the participant should read (their text is kept)."""


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
            WELL_ANSWERED, delivery__spark=spark, delivery__participant_id=delivery.participant_id
        )
        if good.count() >= MASTERY_CORRECT:
            return None
    due = in_send_window(
        spark.cohort,
        schedule_for(spark.cohort),
        now + repeat_wait(well=answered_well),
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
    well = answered_well(correct=correct, confidence=confidence)
    _ask_again(delivery, answered_well=well, now=now)
    return answer


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
    well = answered_well(correct=answer.is_correct, confidence=confidence)
    _ask_again(delivery, answered_well=well, now=answer.created_at)
    return answer
