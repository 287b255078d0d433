"""Confident and wrong: a misconception many share, caught while there is time to talk about it.

When at least `CONFIDENT_WRONG_SHARE` (default 30%) of a cohort's answers to a knowledge spark
(first asks) or a knowledge question of a survey round are wrong *and* sure ("fairly sure" or
"certain"), the cohort's instructors are told, once per spark or question and round, through
`notify_many` (alerts are bundled by default: a scan finding three at once is one email). From
the alert, one click starts a thread in the cohort's space with the answer distribution and the
explanation.

`confident_wrong_scan` runs from beat every 10 minutes; it looks only at sparks and rounds
answered in the last two days, in a fixed number of grouped queries whatever the volume.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.urls import reverse

from accounts.models import User
from cohorts.models import Cohort, CohortRole, Enrolment
from discussions import posting
from discussions.models import PostKind, Thread
from insights.models import ConfidentWrongAlert
from notifications.models import EmailKind
from notifications.services import Notice, notify_many
from socialtraining import clock
from sparks.models import SparkAnswer, SparkKind
from surveys.models import Answer, QuestionKind, ResponseStatus

# "How sure are you?" at or above this is sure: 3 "Fairly sure", 4 "Certain".
SURE_CONFIDENCE = 3
# Answers older than this were looked at by earlier scans (every 10 minutes).
SCAN_WINDOW = timedelta(days=2)
WRONG_AND_SURE = Q(is_correct=False, confidence__gte=SURE_CONFIDENCE)


def _over_threshold(answers: int, confident_wrong: int) -> bool:
    return (
        answers >= settings.CONFIDENT_WRONG_MIN_ANSWERS
        and confident_wrong >= settings.CONFIDENT_WRONG_SHARE * answers
    )


def _alerts_over_threshold(rows) -> list[ConfidentWrongAlert]:
    """An unsaved alert for each grouped row (named as the alert's fields) over the threshold."""
    return [
        ConfidentWrongAlert(**row)
        for row in rows
        if _over_threshold(row["answers"], row["confident_wrong"])
    ]


def _spark_candidates(since) -> list[ConfidentWrongAlert]:
    recent = SparkAnswer.objects.filter(
        created_at__gte=since,
        delivery__attempt=1,
        delivery__spark__kind=SparkKind.KNOWLEDGE,
    ).values("delivery__spark_id")
    rows = (
        SparkAnswer.objects.filter(
            delivery__spark_id__in=recent, delivery__attempt=1, is_correct__isnull=False
        )
        .values(spark_id=F("delivery__spark_id"), cohort_id=F("delivery__spark__cohort_id"))
        .annotate(answers=Count("pk"), confident_wrong=Count("pk", filter=WRONG_AND_SURE))
        .order_by()
    )
    return _alerts_over_threshold(rows)


def _question_candidates(since) -> list[ConfidentWrongAlert]:
    submitted = Q(response__status=ResponseStatus.SUBMITTED)
    recent = Answer.objects.filter(
        submitted, response__submitted_at__gte=since, question__kind=QuestionKind.KNOWLEDGE
    ).values("response__round_id")
    rows = (
        Answer.objects.filter(
            submitted,
            response__round_id__in=recent,
            question__kind=QuestionKind.KNOWLEDGE,
            is_correct__isnull=False,
        )
        .values(
            "question_id",
            round_id=F("response__round_id"),
            cohort_id=F("response__round__cohort_id"),
        )
        .annotate(answers=Count("pk"), confident_wrong=Count("pk", filter=WRONG_AND_SURE))
        .order_by()
    )
    return _alerts_over_threshold(rows)


@transaction.atomic
def confident_wrong_scan() -> list[ConfidentWrongAlert]:
    """Find what crossed the threshold since the last scans and tell the instructors; return the
    new alerts. Running it twice changes nothing: an alert exists once, a notice is sent once."""
    now = clock.now()
    candidates = _spark_candidates(now - SCAN_WINDOW) + _question_candidates(now - SCAN_WINDOW)
    if not candidates:
        return []
    for alert in candidates:
        alert.detected_at = now
    # An alert exists once (the model's unique constraints): candidates already alerted, by an
    # earlier scan or one running at the same moment, are skipped, so their notices go once.
    ConfidentWrongAlert.objects.bulk_create(candidates, ignore_conflicts=True)
    created = list(
        ConfidentWrongAlert.objects.filter(detected_at=now).select_related(
            "cohort", "spark", "question"
        )
    )
    _tell_instructors(created)
    return created


def alert_question(alert: ConfidentWrongAlert) -> str:
    return alert.spark.question if alert.spark_id else alert.question.text


def _tell_instructors(alerts: list[ConfidentWrongAlert]) -> None:
    if not alerts:
        return
    instructors: dict[int, list[User]] = {}
    for enrolment in Enrolment.objects.filter(
        cohort_id__in={a.cohort_id for a in alerts}, role=CohortRole.INSTRUCTOR
    ).select_related("user__notification_preference"):
        instructors.setdefault(enrolment.cohort_id, []).append(enrolment.user)
    notify_many(
        [
            Notice(
                user=user,
                key=f"confident-wrong:{alert.pk}",
                kind=EmailKind.ALERT,
                title=(
                    f"{alert.share_percent}% of answers in {alert.cohort.name} were sure and wrong"
                ),
                body=alert_question(alert),
                url=reverse("insights:confident_wrong", args=[alert.cohort_id, alert.pk]),
                topic_key=f"confident-wrong:{alert.cohort_id}",
                topic_title=f"Sure but wrong in {alert.cohort.name}",
                excerpt=alert_question(alert),
            )
            for alert in alerts
            for user in instructors.get(alert.cohort_id, [])
        ]
    )


@dataclass(frozen=True)
class ChoiceCount:
    text: str
    is_correct: bool
    answers: int
    sure: int

    def percent_of(self, total: int) -> int:
        return round(100 * self.answers / total) if total else 0


@dataclass(frozen=True)
class Distribution:
    question: str
    explanation: str
    answers: int
    confident_wrong: int
    choices: list[ChoiceCount]


def alert_distribution(alert: ConfidentWrongAlert) -> Distribution:
    """The answers as they stand now: how many picked each choice, and how many of them sure."""
    if alert.spark_id:
        spark = alert.spark
        answers = SparkAnswer.objects.filter(
            delivery__spark=spark, delivery__attempt=1, is_correct__isnull=False
        )
        choices = list(spark.choices.all())
        question, explanation = spark.question, spark.explanation
    else:
        answers = Answer.objects.filter(
            question=alert.question,
            response__round_id=alert.round_id,
            response__status=ResponseStatus.SUBMITTED,
            is_correct__isnull=False,
        )
        choices = list(alert.question.choices.all())
        question, explanation = alert.question.text, alert.question.explanation
    picked: Counter[int] = Counter()
    sure: Counter[int] = Counter()
    for choice_id, confidence in answers.values_list("choices", "confidence"):
        picked[choice_id] += 1
        sure[choice_id] += (confidence or 0) >= SURE_CONFIDENCE
    totals = answers.aggregate(
        answers=Count("pk"), confident_wrong=Count("pk", filter=WRONG_AND_SURE)
    )
    return Distribution(
        question=question,
        explanation=explanation,
        answers=totals["answers"],
        confident_wrong=totals["confident_wrong"],
        choices=[
            ChoiceCount(c.text, c.is_correct, picked.get(c.pk, 0), sure.get(c.pk, 0))
            for c in choices
        ],
    )


def _thread_body(distribution: Distribution) -> str:
    lines = [
        f"Of {distribution.answers} answers to this question, {distribution.confident_wrong} "
        "were wrong and sure of it: a good moment to talk it through.",
        "",
        f"**{distribution.question}**",
        "",
        "| Answer | Chosen | Of them sure |",
        "| --- | --- | --- |",
    ]
    for choice in distribution.choices:
        mark = " (right)" if choice.is_correct else ""
        text = choice.text.replace("|", "\\|")
        lines.append(
            f"| {text}{mark} | {choice.answers} ({choice.percent_of(distribution.answers)}%) "
            f"| {choice.sure} |"
        )
    if distribution.explanation:
        lines += ["", "**Why:** " + distribution.explanation]
    lines += ["", "What made the other answer look right? Tell the group what you thought."]
    return "\n".join(lines)


@transaction.atomic
def confident_wrong_thread_start(*, alert: ConfidentWrongAlert, author: User) -> Thread:
    """Start the thread about an alert in the cohort's space (once: a second click opens it)."""
    alert = (
        ConfidentWrongAlert.objects.select_for_update(of=("self",))
        .select_related("cohort", "spark", "question", "thread")
        .get(pk=alert.pk)
    )
    if alert.thread is not None:
        return alert.thread
    distribution = alert_distribution(alert)
    title = f"Many of us were sure of a wrong answer: {distribution.question}"
    thread = posting.thread_start(
        cohort=alert.cohort,
        study_group=None,
        author=author,
        kind=PostKind.QUESTION,
        title=title[:197] + "…" if len(title) > 200 else title,
        body=_thread_body(distribution),
        idempotency_key=f"confident-wrong:{alert.pk}",
    )
    alert.thread = thread
    alert.save(update_fields=["thread"])
    return thread


def alerts_for(cohort: Cohort):
    return ConfidentWrongAlert.objects.filter(cohort=cohort).select_related(
        "spark", "question", "round", "thread"
    )
