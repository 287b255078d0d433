"""Sparks for the demo organisation, made by the real services on a controlled clock.

The cohort whose workshop ended two months ago gets a full history: its sparks are planned as they
were before the workshop ended, then the days are replayed in order. Each ask that came due is
sent, reminded and expired by `deliveries_step` through `scheduling.run_now`, exactly as the
dispatcher would have done on that day; participants answer through `spark_answer` (right, wrong,
sure or guessing, or not at all), which posts into the spark threads and plans the repeats; some
peers comment. So the deliveries, repeats, threads and mastery agree with each other as if they had
happened. Its instructor measured the lift of sparks
(`sparks.lift_study`) before the first one went out, so half the objectives are held out for each
participant and the retention probe comes back as the days are replayed. The cohort that just
finished gets its sparks planned ahead. Seeding sends no mail: the
emails the replay writes into the outbox are removed before the transaction commits.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import F, Max, Min

from accounts.models import User
from cohorts.models import Cohort
from cohorts.timeline import local_moment
from discussions import fanout, posting
from discussions.models import Post, Thread
from notifications import scheduling
from notifications.models import Notification, OutboxMessage
from notifications.outbox import outbox_discard
from notifications.scheduling import DueStatus
from socialtraining import clock
from sparks import answering, planning
from sparks.lift_study import lift_study_start
from sparks.models import (
    Delivery,
    DeliveryStep,
    LiftAssignment,
    Spark,
    SparkChoice,
    SparkKind,
    SparkTarget,
    SparkThread,
)

PAST_COHORT = "Coaching conversations"
RECENT_COHORT = "Leading hybrid teams"


@dataclass(frozen=True)
class SparkPlan:
    offset_days: int
    kind: str
    question: str
    objective: str
    target: str = SparkTarget.COHORT
    choices: tuple[tuple[str, bool], ...] = ()
    explanation: str = ""
    ask_confidence: bool = False


COACHING_SPARKS = (
    SparkPlan(
        2,
        SparkKind.KNOWLEDGE,
        "What do the letters of GROW stand for?",
        "GROW stages",
        choices=(
            ("Goal, Reality, Options, Will", True),
            ("Goal, Results, Outcomes, Work", False),
            ("Growth, Reflection, Ownership, Wins", False),
        ),
        explanation="Goal, Reality, Options, Will (or Way forward), walked in that order.",
        ask_confidence=True,
    ),
    SparkPlan(
        9,
        SparkKind.KNOWLEDGE,
        "Which of these are open questions?",
        "Open questions",
        target=SparkTarget.GROUPS,
        choices=(
            ("What would success look like for you?", True),
            ("Did you talk to her about it?", False),
            ("How did the team react?", True),
            ("Is that the only option?", False),
        ),
        explanation="Open questions start with what or how and cannot be answered yes or no.",
        ask_confidence=True,
    ),
    SparkPlan(
        14,
        SparkKind.OPEN,
        "Two weeks on: tell your group about one coaching conversation you had. Which question "
        "worked best?",
        "Application",
        target=SparkTarget.GROUPS,
    ),
    SparkPlan(
        30,
        SparkKind.KNOWLEDGE,
        "In GROW, when do you explore the options?",
        "GROW stages",
        choices=(
            ("After the reality is clear", True),
            ("Before agreeing the goal", False),
            ("Only if the coachee asks for advice", False),
        ),
        explanation="Options come once goal and reality are clear; advice comes last, if at all.",
        ask_confidence=True,
    ),
    SparkPlan(
        75,
        SparkKind.OPEN,
        "Two and a half months on: what do you now do differently when someone brings you a "
        "problem?",
        "Integration",
    ),
)

HYBRID_SPARKS = (
    SparkPlan(
        7,
        SparkKind.KNOWLEDGE,
        "Which meeting practice makes a hybrid meeting fair to remote people?",
        "Hybrid meetings",
        target=SparkTarget.GROUPS,
        choices=(
            ("Everyone joins from their own laptop", True),
            ("Remote people speak first in every round", True),
            ("The room decides, remote people are told afterwards", False),
        ),
        explanation="One screen per person and a speaking order keep remote voices equal.",
        ask_confidence=True,
    ),
)

OPEN_ANSWERS = (
    "I asked “What would a good outcome look like for you?” and then just waited. It worked: "
    "she came up with the plan herself.",
    "Honestly I slipped back into giving advice twice. The third time I caught myself and asked "
    "what they had already tried.",
    "Used GROW in a one-to-one about a stuck project. Spending longer on Reality was the key.",
    "I now write my first question down before the meeting. Sounds silly, changes everything.",
    "Tried it with my own manager, upwards. Asking about options rather than pushing mine helped.",
    "Less talking, more asking. My team noticed and said so in the retro.",
)
PEER_COMMENTS = (
    "Same here: the silence after the question is the hardest part.",
    "Thanks for sharing, I will try that opening line this week.",
    "Did it feel slower? For me it took longer but the result stuck.",
    "Love this. Writing the first question down is going on my checklist.",
    "Interesting, I got the opposite reaction. Might be the team's culture.",
)
INSTRUCTOR_COMMENTS = (
    "Great example of staying in Reality long enough before jumping to options.",
    "That is exactly the shift we practised: noticing the urge to advise, then asking instead.",
)


# How likely a first answer is right, by days since the workshop: a forgetting curve from 90%
# towards 64% with a half-life of 9 days, the same story the demo's knowledge checks tell. Each
# repeat of a question is likelier to be right: that is the point of repeats.
RIGHT_AFTER, FLOOR, HALF_LIFE_DAYS, REPEAT_GAIN = 0.9, 0.64, 9, 0.12
# The lift study's probe: those sparked on an objective remember it better than those held out,
# by this much. What the dashboard then shows is whatever the replayed answers give, interval and
# all: with 18 people and the probe half-way through its window, possibly "not enough yet".
PRACTICE_GAIN = 0.15


def _chance_right(*, days: int, attempt: int) -> float:
    remembered = FLOOR + (RIGHT_AFTER - FLOOR) * 0.5 ** (max(days, 0) / HALF_LIFE_DAYS)
    return min(0.95, remembered + REPEAT_GAIN * (attempt - 1))


class _Replay:
    """Replays a cohort's spark days in time order: due steps, answers and peer comments."""

    def __init__(
        self, cohort: Cohort, *, rng: random.Random, until: datetime, with_answers: bool
    ) -> None:
        self.cohort, self.rng, self.until, self.with_answers = cohort, rng, until, with_answers
        # One seed for the whole replay; each decision draws from its own generator (below).
        self.seed = rng.random()
        self.answers: list[tuple[datetime, str, int]] = []

    def _chance(self, *parts: object) -> random.Random:
        """A generator for one decision, seeded by who and what it is about, not by ids or by the
        order of events (send minutes spread by user id), so every seed tells the same story."""
        return random.Random(":".join(str(p) for p in (self.seed, *parts)))

    def run(self) -> None:
        while True:
            due = (
                Delivery.objects.filter(
                    spark__cohort=self.cohort, status=DueStatus.PENDING, due_at__lte=self.until
                )
                .order_by("due_at", "pk")
                .first()
            )
            if self.answers and (due is None or self.answers[0][0] <= due.due_at):
                at, _, delivery_id = heapq.heappop(self.answers)
                self._answer(Delivery.objects.get(pk=delivery_id), at)
            elif due is not None:
                self._step(due)
            else:
                return

    def _step(self, delivery: Delivery) -> None:
        was_sending = delivery.step == DeliveryStep.SEND
        with clock.frozen_at(delivery.due_at):
            scheduling.run_now("spark_delivery", [delivery.pk])
        delivery = Delivery.objects.select_related("spark").get(pk=delivery.pk)
        if not (self.with_answers and was_sending and delivery.sent_at):
            return
        email = User.objects.values_list("email", flat=True).get(pk=delivery.participant_id)
        eagerness = self._chance(email).choice((0.95, 0.85, 0.7, 0.5, 0.2))
        chance = self._chance(email, delivery.spark.question, delivery.attempt)
        if chance.random() >= eagerness:
            return  # Missed: reminded, then expired (and asked again if it is knowledge).
        # Most answer the same evening or the next; some only after the reminder (two days on).
        # Evenings, after every send window: the answer's day and order do not depend on the
        # minute the ask went out.
        days = chance.choice((0, 0, 1, 1, 1, 3, 4))
        local = delivery.sent_at.astimezone(self.cohort.tz).date() + timedelta(days=days)
        at = local_moment(self.cohort, local, time(18, 0)) + timedelta(
            seconds=chance.randrange(0, 4 * 3600)
        )
        if at < self.until:
            heapq.heappush(self.answers, (at, email, delivery.pk))

    def _answer(self, delivery: Delivery, at: datetime) -> None:
        spark = Spark.objects.get(pk=delivery.spark_id)
        email = User.objects.values_list("email", flat=True).get(pk=delivery.participant_id)
        chance = self._chance(email, spark.question, delivery.attempt, "answer")
        choice_ids, confidence, text = [], None, ""
        if spark.kind == SparkKind.KNOWLEDGE:
            choices = list(spark.choices.all())
            right = [c.pk for c in choices if c.is_correct]
            wrong = [c.pk for c in choices if not c.is_correct]
            odds = _chance_right(
                days=(at - self.cohort.last_end).days, attempt=max(delivery.attempt, 1)
            )
            if delivery.is_probe and self._practised(delivery, spark):
                odds = min(0.95, odds + PRACTICE_GAIN)
            correct = chance.random() < odds
            choice_ids = right if correct else [chance.choice(wrong)]
            if spark.ask_confidence:
                confidence = chance.choice((3, 4, 4, 2) if correct else (1, 2, 2, 3))
        else:
            text = chance.choice(OPEN_ANSWERS)
        with clock.frozen_at(at):
            try:
                answering.spark_answer(
                    delivery=delivery,
                    text=text,
                    choice_ids=choice_ids,
                    confidence=confidence,
                )
            except answering.SparkClosed:
                return
            # Followers hear of it on the day, as the fan-out job would have told them.
            scheduling.run_now(fanout.POST_FANOUT_JOB)

    def _practised(self, delivery: Delivery, spark: Spark) -> bool:
        """Whether the person was boosted on the probe's objective (sparked on it)."""
        return LiftAssignment.objects.filter(
            study__cohort=self.cohort,
            participant_id=delivery.participant_id,
            objective=spark.objective,
            boosted=True,
        ).exists()

    def comment(self, instructor: User) -> int:
        """Peers who answered the same spark comment on some answers; the instructor on two."""
        comments = 0
        posts = list(
            Post.objects.filter(
                thread__in=SparkThread.objects.filter(spark__cohort=self.cohort).values("thread"),
                parent__isnull=True,
                is_opening=False,
            ).order_by("created_at", "pk")
        )
        by_thread: dict[int, list[Post]] = {}
        for post in posts:
            by_thread.setdefault(post.thread_id, []).append(post)
        for thread_posts in by_thread.values():
            authors = [p.author_id for p in thread_posts]
            for post in thread_posts:
                peers = [a for a in authors if a != post.author_id]
                if not peers or self.rng.random() > 0.3:
                    continue
                at = post.created_at + timedelta(hours=self.rng.uniform(2, 20))
                if at < self.until:
                    comments += self._comment(post, User.objects.get(pk=self.rng.choice(peers)), at)
        open_posts = [p for p in posts if not p.body.startswith("**My answer:**")]
        for post, body in zip(open_posts[::5], INSTRUCTOR_COMMENTS, strict=False):
            comments += self._comment(post, instructor, post.created_at + timedelta(hours=5), body)
        return comments

    def _comment(self, post: Post, author: User, at: datetime, body: str = "") -> int:
        with clock.frozen_at(at):
            posting.post_reply(
                thread=post.thread,
                author=author,
                parent=post,
                body=body or self.rng.choice(PEER_COMMENTS),
                idempotency_key=f"demo-spark-comment:{post.pk}:{author.pk}",
            )
            scheduling.run_now(fanout.POST_FANOUT_JOB)
        return 1


def _sparks_create(
    cohort: Cohort, plans: tuple[SparkPlan, ...], *, instructor: User, at: datetime
) -> list[Spark]:
    sparks = []
    for plan in plans:
        spark = Spark.objects.create(
            cohort=cohort,
            kind=plan.kind,
            question=plan.question,
            objective=plan.objective,
            target=plan.target,
            offset_days=plan.offset_days,
            explanation=plan.explanation,
            ask_confidence=plan.ask_confidence,
            created_by=instructor,
            created_at=at,
        )
        SparkChoice.objects.bulk_create(
            SparkChoice(spark=spark, position=n, text=text, is_correct=correct)
            for n, (text, correct) in enumerate(plan.choices)
        )
        sparks.append(spark)
    return sparks


def _threads_dated(cohort: Cohort) -> None:
    """A spark thread opens with its first answer and was last active at its latest post."""
    for link in SparkThread.objects.filter(spark__cohort=cohort).select_related("thread"):
        span = Post.objects.filter(thread=link.thread).aggregate(
            first=Min("created_at"), last=Max("created_at")
        )
        if span["first"]:
            Thread.objects.filter(pk=link.thread_id).update(
                created_at=span["first"] - timedelta(minutes=1), last_activity_at=span["last"]
            )


@transaction.atomic
def demo_sparks_create(
    *, cohorts: dict[str, Cohort], instructor: User, rng: random.Random, now: datetime
) -> dict[str, int]:
    """A full spark history for the cohort that finished two months ago, sparks ahead for the one
    that just finished. Returns counts for the seeding summary."""
    outbox_before = OutboxMessage.objects.aggregate(last=Max("pk"))["last"] or 0
    notified_before = Notification.objects.aggregate(last=Max("pk"))["last"] or 0
    comments = 0
    for name, plans, with_answers in (
        (PAST_COHORT, COACHING_SPARKS, True),
        (RECENT_COHORT, HYBRID_SPARKS, False),
    ):
        cohort = Cohort.objects.with_schedule().get(pk=cohorts[name].pk)
        written = cohort.last_end - timedelta(days=1)
        _sparks_create(cohort, plans, instructor=instructor, at=written)
        with clock.frozen_at(written):
            if name == RECENT_COHORT:
                planning.sparks_add_two_two_two(cohort=cohort, user=instructor)
            Spark.objects.filter(cohort=cohort).update(created_at=written)
            planning.sparks_plan(cohort=cohort)
            if name == PAST_COHORT:
                # The instructor measured the lift before the first spark went out.
                lift_study_start(cohort=cohort, user=instructor, seed="northwind-coaching")
        # The just-finished cohort: asks already due go out; nobody has answered yet.
        # Replayed up to today's midnight on the cohort's clock: whether a step due today has
        # run would depend on the minute each person's asks land; the dispatcher runs those.
        today = local_moment(cohort, now.astimezone(cohort.tz).date(), time(0, 0))
        replay = _Replay(cohort, rng=rng, until=today, with_answers=with_answers)
        replay.run()
        if with_answers:
            comments += replay.comment(instructor)
            _threads_dated(cohort)
    # Old news is read: notifications from before the last two days.
    Notification.objects.filter(
        pk__gt=notified_before, created_at__lt=now - timedelta(days=2)
    ).update(read_at=F("created_at") + timedelta(hours=3))
    # Seeding sends no mail: the replay's emails belong to days long gone.
    outbox_discard(OutboxMessage.objects.filter(pk__gt=outbox_before))
    asks = Delivery.objects.filter(spark__cohort__in=cohorts.values())
    return {
        "spark asks": asks.count(),
        "spark answers": asks.filter(outcome="answered").count(),
        "spark comments": comments,
    }
