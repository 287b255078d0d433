"""The benchmark organisation's activity: about 40 records per participant, spread over cohorts
and time, so the insights dashboards are measured on 2,000,000 rows at `seed_demo --scale 50000`.

Activity records are posts (openings, replies, comments, spark answers posted into their thread),
reactions, spark deliveries, spark answers and submitted survey responses. Survey answers and
picked choices are written too but not counted: they are parts of a response.

Cohorts are processed `COHORTS_PER_CHUNK` at a time: each chunk is planned in memory, then written
with one bulk insert per model (split every `ROWS_PER_INSERT` rows), so memory and the number of
queries per chunk stay bounded whatever the scale. Every row is written as the app would have left
it by `now` (due rows done, rounds closed or open), with timestamps after the enrolment, so seeding
sends nothing and the pages work on it.
"""

from __future__ import annotations

import functools
import math
import random
import time as clock
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import Max, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce

from accounts.models import Organization, User
from cohorts.models import Cohort, CohortRole, Enrolment, WorkshopSession
from cohorts.timeline import Anchor
from discussions.models import Post, PostKind, Reaction, ReactionKind, Thread
from discussions.rendering import post_html
from notifications.scheduling import DueStatus
from sparks.models import (
    Delivery,
    DeliveryOutcome,
    DeliveryStep,
    Spark,
    SparkAnswer,
    SparkChoice,
    SparkKind,
    SparkThread,
)
from surveys.models import (
    Answer,
    Choice,
    Purpose,
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
    Round,
    RoundEvent,
    RoundStatus,
    RoundStep,
    Survey,
)

ACTIVITY_PER_PARTICIPANT = 40
COHORTS_PER_CHUNK = 10
ROWS_PER_INSERT = 5000
# The most queries one chunk may cost with every model under ROWS_PER_INSERT rows (tests hold it).
MAX_QUERIES_PER_CHUNK = 30
# Workshops from a year ago to two months ahead.
FIRST_WORKSHOP_DAY = -365
WORKSHOP_SPAN_DAYS = 425
# How a knowledge score moves: from the baseline up to right after, then decaying towards a floor
# that is higher for people who keep answering sparks (the curve "steadies where sparks were
# answered").
PRE_SCORE = 0.45
POST_SCORE = 0.85
FORGETTING_DAYS = 25.0
SPARKS = (  # kind, offset days after the last session, objective
    (SparkKind.KNOWLEDGE, 7, "Ask before telling"),
    (SparkKind.KNOWLEDGE, 14, "Specific, observable feedback"),
    (SparkKind.OPEN, 21, ""),
    (SparkKind.KNOWLEDGE, 28, "Agree one next step"),
    (SparkKind.KNOWLEDGE, 42, "Follow up within a week"),
    (SparkKind.OPEN, 56, ""),
)
KNOWLEDGE_OBJECTIVES = (
    "Ask before telling",
    "Specific, observable feedback",
    "Agree one next step",
)
# Knowledge check rounds: label, anchor, offset days, share of participants who answer.
KNOWLEDGE_ROUNDS = (
    ("Before the workshop", Anchor.BEFORE_FIRST, 7, 0.8),
    ("Right after", Anchor.AFTER_LAST, 0, 0.85),
    ("+30 days", Anchor.AFTER_LAST, 30, 0.65),
    ("+60 days", Anchor.AFTER_LAST, 60, 0.55),
    ("+90 days", Anchor.AFTER_LAST, 90, 0.5),
)
REACTION_RATE = 0.85
BEHAVIOUR_RATE = 0.55
ROUND_OPEN_DAYS = 7
SPARK_MAX_ATTEMPTS = 3
REPLY_TEXTS = (
    "I tried this with my team on Monday and it went better than I expected.",
    "Same here. What helped me was writing the first sentence down beforehand.",
    "Good point. I would add: ask what they already tried.",
    "This is the part I still find hardest, honestly.",
    "Thanks for sharing, saving this for my next one-to-one.",
)


def bench_workshop_day(index: int, cohort_count: int) -> int:
    """Days from today of cohort `index`'s first session.

    Spread evenly from a year ago to two months ahead. With four cohorts or more, the last three
    are placed so every phase occurs: one two months after its workshop (the cohort dashboard's
    benchmark), one in its workshop right now, one ahead.
    """
    day = FIRST_WORKSHOP_DAY + (index * WORKSHOP_SPAN_DAYS) // cohort_count
    if cohort_count >= 4:
        if index == cohort_count - 3:
            return -60
        if index == cohort_count - 2:
            return 0
        if index == cohort_count - 1:
            return max(day, 14)
    return day


def bench_sessions_build(
    *, cohort: Cohort, index: int, cohort_count: int, day: int, now: datetime
) -> list[WorkshopSession]:
    """One or two workshop days from 09:00 to 16:00 local; the in-progress cohort's runs now."""
    if cohort_count >= 4 and index == cohort_count - 2:
        return [
            WorkshopSession(
                cohort=cohort,
                title="Day 1",
                starts_at=now - timedelta(hours=2),
                ends_at=now + timedelta(hours=5),
                location="Training room",
            )
        ]
    return [
        WorkshopSession(
            cohort=cohort,
            title=f"Day {n + 1}",
            starts_at=_local(cohort.tz, now, day + n, time(9, 0)),
            ends_at=_local(cohort.tz, now, day + n, time(16, 0)),
            location="Training room",
        )
        for n in range(1 + index % 2)
    ]


def _local(tz: zoneinfo.ZoneInfo, now: datetime, day: int, at: time) -> datetime:
    return datetime.combine(now.astimezone(tz).date() + timedelta(days=day), at, tzinfo=tz)


@dataclass
class _CohortPlan:
    cohort: Cohort
    first: datetime
    last: datetime
    enrolled: datetime
    instructor_id: int | None
    participants: list[int]
    groups: dict[int, list[int]]
    engagement: dict[int, float]


@dataclass
class _Chunk:
    """Everything one chunk writes, in insertion order."""

    surveys: list[Survey] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    rounds: list[Round] = field(default_factory=list)
    events: list[RoundEvent] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    # (answer, choice) pairs: the picked choice of a knowledge answer.
    picks: list[tuple[Answer, Choice]] = field(default_factory=list)
    sparks: list[Spark] = field(default_factory=list)
    spark_choices: list[SparkChoice] = field(default_factory=list)
    threads: list[Thread] = field(default_factory=list)
    spark_threads: list[SparkThread] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    comments: list[Post] = field(default_factory=list)
    # (delivery, post, answer): the answer row needs both pks, the post the delivery's for its key.
    spark_answers: list[tuple[Delivery, Post, SparkAnswer]] = field(default_factory=list)
    spark_picks: list[tuple[SparkAnswer, SparkChoice]] = field(default_factory=list)
    reactions: list[tuple[Post, Reaction]] = field(default_factory=list)


def bench_activity_create(
    *, organization: Organization, cohorts: list[Cohort], now: datetime, seed: int
) -> dict[str, float]:
    """Write the activity of `cohorts` (the scaled cohorts of `organization`, in index order)."""
    started = clock.perf_counter()
    rng = random.Random(seed)
    weights = [_activity_weight(c, now) for c in cohorts]
    mean_weight = sum(weights) / len(weights) if weights else 1.0
    counts: dict[str, int] = defaultdict(int)
    for start in range(0, len(cohorts), COHORTS_PER_CHUNK):
        ids = [c.pk for c in cohorts[start : start + COHORTS_PER_CHUNK]]
        chunk_weights = dict(zip(ids, weights[start : start + COHORTS_PER_CHUNK], strict=True))
        plans = _chunk_plans(ids=ids, now=now, rng=rng)
        chunk = _Chunk()
        for plan in plans:
            target = ACTIVITY_PER_PARTICIPANT * len(plan.participants)
            target = round(target * chunk_weights[plan.cohort.pk] / mean_weight)
            _plan_cohort(chunk, plan, target=target, now=now, rng=rng)
        for key, n in _chunk_write(chunk).items():
            counts[key] += n
        counts["chunks"] += 1
    counts["scaled activity records"] = sum(
        counts[key]
        for key in ("posts", "reactions", "spark deliveries", "spark answers", "survey responses")
    )
    # bench/run.py reads this from seed_demo's summary as seed_activity_seconds.
    counts["activity seconds"] = round(clock.perf_counter() - started, 1)
    return dict(counts)


def _activity_weight(cohort: Cohort, now: datetime) -> float:
    """How much a cohort has done by now, relative to others: little before class, most after."""
    if cohort.created_at >= now:
        # Not open yet: nothing can have happened, and its share goes to the others.
        return 0.0
    days_since = (now - cohort.last_session_end).total_seconds() / 86400
    if days_since < -1:
        return 0.25
    if days_since < 0:
        return 0.5
    return 0.6 + 0.6 * min(days_since, 120) / 120


def _chunk_plans(*, ids: list[int], now: datetime, rng: random.Random) -> list[_CohortPlan]:
    """Load the chunk's cohorts and members (two queries) and move enrolments and sign-up dates
    to before the cohort's activity (two updates): the base seed wrote them as `now`."""
    cohorts = Cohort.objects.filter(pk__in=ids).with_schedule().order_by("pk")
    # A cohort is created about a month before its workshop; nobody enrols after today.
    enrolled_at = Subquery(Cohort.objects.filter(pk=OuterRef("cohort_id")).values("created_at"))
    Enrolment.objects.filter(cohort_id__in=ids).update(created_at=enrolled_at)
    Enrolment.objects.filter(cohort_id__in=ids, created_at__gt=now).update(created_at=now)
    first_enrolment = Enrolment.objects.filter(user_id=OuterRef("pk")).order_by("created_at")
    User.objects.filter(enrolments__cohort_id__in=ids).update(
        date_joined=Coalesce(Subquery(first_enrolment.values("created_at")[:1]), "date_joined")
    )
    members: dict[int, list[tuple[int, str, int | None]]] = defaultdict(list)
    for row in (
        Enrolment.objects.filter(cohort_id__in=ids)
        .values_list("cohort_id", "user_id", "role", "study_group_id")
        .order_by("cohort_id", "user_id")
    ):
        members[row[0]].append(row[1:])
    plans = []
    for cohort in cohorts:
        participants = [u for u, role, _ in members[cohort.pk] if role == CohortRole.PARTICIPANT]
        instructors = [u for u, role, _ in members[cohort.pk] if role == CohortRole.INSTRUCTOR]
        groups: dict[int, list[int]] = defaultdict(list)
        for user_id, _, group_id in members[cohort.pk]:
            if group_id:
                groups[group_id].append(user_id)
        plans.append(
            _CohortPlan(
                cohort=cohort,
                first=cohort.first_session_start,
                last=cohort.last_session_end,
                enrolled=min(cohort.created_at, now),
                instructor_id=instructors[0] if instructors else None,
                participants=participants,
                groups=dict(groups),
                engagement={u: rng.betavariate(2, 2) for u in participants},
            )
        )
    return plans


def _knowledge_chance(*, days_after: float, engagement: float) -> float:
    """The chance of a right answer `days_after` the workshop: falls, then steadies at a floor."""
    if days_after < 0:
        return PRE_SCORE
    floor = 0.5 + 0.25 * engagement
    return floor + (POST_SCORE - floor) * math.exp(-days_after / FORGETTING_DAYS)


def _plan_cohort(
    chunk: _Chunk, plan: _CohortPlan, *, target: int, now: datetime, rng: random.Random
) -> None:
    before = _activity_count(chunk)
    _plan_surveys(chunk, plan, now=now, rng=rng)
    _plan_sparks(chunk, plan, now=now, rng=rng)
    # Discussions fill the cohort's share: how much people talk is what varies most in life.
    budget = target - (_activity_count(chunk) - before)
    _plan_discussions(chunk, plan, budget=max(budget, 0), now=now, rng=rng)


def _activity_count(chunk: _Chunk) -> int:
    submitted = len(chunk.responses)
    return (
        len(chunk.posts)
        + len(chunk.comments)
        + len(chunk.reactions)
        + len(chunk.deliveries)
        + len(chunk.spark_answers)
        + submitted
    )


def _plan_surveys(chunk: _Chunk, plan: _CohortPlan, *, now: datetime, rng: random.Random) -> None:
    cohort, created = plan.cohort, plan.enrolled

    def survey(title: str, purpose: str) -> Survey:
        chunk.surveys.append(
            Survey(
                cohort=cohort,
                title=title,
                purpose=purpose,
                created_by_id=plan.instructor_id,
                created_at=created,
            )
        )
        return chunk.surveys[-1]

    def question(survey_: Survey, position: int, kind: str, text: str, **extra) -> Question:
        chunk.questions.append(
            Question(survey=survey_, position=position, kind=kind, text=text, **extra)
        )
        return chunk.questions[-1]

    reaction = survey("How was the workshop?", Purpose.REACTION)
    worth = question(reaction, 1, QuestionKind.LIKERT, "The workshop was worth my time.")
    relevant = question(reaction, 2, QuestionKind.LIKERT, "What I learned is relevant to my job.")
    nps = question(reaction, 3, QuestionKind.NPS, "How likely are you to recommend it?")

    knowledge = survey("Knowledge check", Purpose.KNOWLEDGE)
    checks: list[tuple[Question, Choice, list[Choice]]] = []
    for n, objective in enumerate(KNOWLEDGE_OBJECTIVES):
        q = question(knowledge, n + 1, QuestionKind.KNOWLEDGE, f"Which is best? ({objective})",
                     objective=objective)  # fmt: skip
        options = [
            Choice(question=q, position=k, text=f"Option {k + 1}", is_correct=k == 0)
            for k in range(4)
        ]
        chunk.choices += options
        checks.append((q, options[0], options[1:]))

    behaviour = survey("Have you applied it?", Purpose.BEHAVIOUR)
    applied = question(behaviour, 1, QuestionKind.SINGLE, "Have you applied it at work?")
    applied_options = [
        Choice(question=applied, position=k, text=text)
        for k, text in enumerate(("Yes, several times", "Yes, once", "Not yet"))
    ]
    chunk.choices += applied_options
    confident = question(behaviour, 2, QuestionKind.LIKERT, "I feel confident applying it.")

    def round_(survey_: Survey, label: str, anchor: str, offset: int) -> Round | None:
        if anchor == Anchor.BEFORE_FIRST:
            opens_at = plan.first - timedelta(days=offset)
        else:
            opens_at = plan.last + timedelta(days=offset, hours=1)
        closes_at = opens_at + timedelta(days=ROUND_OPEN_DAYS)
        if anchor == Anchor.BEFORE_FIRST:
            # The baseline is taken before anything is taught.
            closes_at = min(closes_at, plan.first)
        if opens_at > now:
            status = RoundStatus.SCHEDULED
        else:
            status = RoundStatus.CLOSED if closes_at <= now else RoundStatus.OPEN
        made = Round(survey=survey_, cohort=cohort, label=label, anchor=anchor,
                     offset_days=offset, opens_at=opens_at, closes_at=closes_at, status=status,
                     created_at=min(created, opens_at))  # fmt: skip
        chunk.rounds.append(made)
        steps = {RoundStep.OPEN: opens_at, RoundStep.REMIND: opens_at + timedelta(days=3)}
        steps[RoundStep.CLOSE] = closes_at
        chunk.events += [
            RoundEvent(round=made, step=step, due_at=due_at,
                       status=DueStatus.DONE if due_at <= now else DueStatus.PENDING,
                       done_at=due_at if due_at <= now else None)
            for step, due_at in steps.items()
        ]  # fmt: skip
        return made if status != RoundStatus.SCHEDULED else None

    def respond(made: Round, person: int, answers: list[Answer], score: int | None) -> None:
        latest = min(made.closes_at, now)
        at = made.opens_at + (latest - made.opens_at) * rng.random() ** 2
        response = Response(round=made, participant_id=person, status=ResponseStatus.SUBMITTED,
                            started_at=at, updated_at=at, submitted_at=at, score=score,
                            max_score=None if score is None else len(checks))  # fmt: skip
        chunk.responses.append(response)
        for answer in answers:
            answer.response = response
        chunk.answers += answers

    opened = round_(reaction, "Right after", Anchor.AFTER_LAST, 0)
    for person in plan.participants if opened else ():
        e = plan.engagement[person]
        if rng.random() < REACTION_RATE:
            high = 4 if e > 0.3 else 3
            answers = [
                Answer(question=worth, number=rng.randint(high - 1, 5)),
                Answer(question=relevant, number=rng.randint(high - 1, 5)),
                Answer(question=nps, number=min(10, max(0, round(rng.gauss(6 + 4 * e, 1.5))))),
            ]
            respond(opened, person, answers, None)

    for label, anchor, offset, rate in KNOWLEDGE_ROUNDS:
        opened = round_(knowledge, label, anchor, offset)
        for person in plan.participants if opened else ():
            e = plan.engagement[person]
            if rng.random() >= rate * (0.7 + 0.6 * e):
                continue
            days_after = (opened.opens_at - plan.last).total_seconds() / 86400
            chance = _knowledge_chance(days_after=days_after, engagement=e)
            answers, score = [], 0
            for q, right, wrong in checks:
                correct = rng.random() < chance
                score += correct
                answer = Answer(question=q, is_correct=correct)
                answers.append(answer)
                chunk.picks.append((answer, right if correct else rng.choice(wrong)))
            respond(opened, person, answers, score)

    opened = round_(behaviour, "Have you applied it?", Anchor.AFTER_LAST, 45)
    for person in plan.participants if opened else ():
        e = plan.engagement[person]
        if rng.random() < BEHAVIOUR_RATE * (0.6 + 0.8 * e):
            picked = applied_options[0 if e > 0.6 else 1 if e > 0.35 else 2]
            answer = Answer(question=applied)
            chunk.picks.append((answer, picked))
            respond(opened, person, [answer, Answer(question=confident, number=rng.randint(2, 5))],
                    None)  # fmt: skip


def _plan_sparks(chunk: _Chunk, plan: _CohortPlan, *, now: datetime, rng: random.Random) -> None:
    cohort = plan.cohort
    remind = timedelta(hours=settings.SPARK_REMIND_AFTER_HOURS)
    expire = timedelta(days=settings.SPARK_EXPIRE_AFTER_DAYS)
    for kind, offset, objective in SPARKS:
        spark = Spark(cohort=cohort, kind=kind, offset_days=offset, objective=objective,
                      question=f"Spark, day {offset}: " + (objective or "what did you try?"),
                      ask_confidence=kind == SparkKind.KNOWLEDGE,
                      created_by_id=plan.instructor_id, created_at=plan.enrolled)  # fmt: skip
        chunk.sparks.append(spark)
        options = []
        if kind == SparkKind.KNOWLEDGE:
            options = [
                SparkChoice(spark=spark, position=k, text=f"Choice {k + 1}", is_correct=k == 0)
                for k in range(3)
            ]
            chunk.spark_choices += options
        first_ask = plan.last + timedelta(days=offset)
        if first_ask > now:
            continue
        thread = Thread(cohort=cohort, author_id=plan.instructor_id, kind=PostKind.QUESTION,
                        title=spark.question, post_first=True, created_at=first_ask,
                        last_activity_at=first_ask)  # fmt: skip
        chunk.threads.append(thread)
        chunk.spark_threads.append(SparkThread(spark=spark, thread=thread))
        for person in plan.participants:
            e = plan.engagement[person]
            # Spread over the send window by participant, as sparks_plan does.
            sent_at = first_ask + timedelta(minutes=(person * 37) % 480)
            sure_right = 0
            for attempt in range(1, SPARK_MAX_ATTEMPTS + 1):
                if sent_at > now or (kind == SparkKind.OPEN and attempt > 1):
                    break
                delivery = Delivery(spark=spark, participant_id=person, attempt=attempt,
                                    due_at=sent_at, sent_at=sent_at, attempts=1)  # fmt: skip
                chunk.deliveries.append(delivery)
                answered_within = timedelta(hours=rng.uniform(0.2, 60))
                if rng.random() < 0.3 + 0.6 * e and sent_at + answered_within <= now:
                    at = sent_at + answered_within
                    delivery.step = DeliveryStep.REMIND if at < sent_at + remind else (
                        DeliveryStep.EXPIRE)  # fmt: skip
                    delivery.reminded_at = sent_at + remind if at >= sent_at + remind else None
                    delivery.outcome, delivery.closed_at = DeliveryOutcome.ANSWERED, at
                    delivery.status, delivery.done_at = DueStatus.DONE, at
                    days_after = (at - plan.last).total_seconds() / 86400
                    correct = None
                    confidence = None
                    if kind == SparkKind.KNOWLEDGE:
                        chance = _knowledge_chance(days_after=days_after, engagement=e)
                        correct = rng.random() < min(0.95, chance + 0.08 * (attempt - 1))
                        confidence = rng.choice((3, 4, 4)) if correct else rng.choice((1, 2, 3))
                    post = Post(thread=thread, author_id=person, kind=PostKind.REPLY,
                                body="**My answer:** " + ("Choice 1" if correct else "my take"),
                                created_at=at)  # fmt: skip
                    chunk.posts.append(post)
                    thread.reply_count += 1
                    thread.last_activity_at = max(thread.last_activity_at, at)
                    answer = SparkAnswer(delivery=delivery, is_correct=correct,
                                         confidence=confidence, created_at=at)  # fmt: skip
                    chunk.spark_answers.append((delivery, post, answer))
                    if options:
                        chunk.spark_picks.append(
                            (answer, options[0] if correct else rng.choice(options[1:]))
                        )
                    answered_well = bool(correct) and confidence > 2
                    sure_right += answered_well
                    if sure_right >= 2:
                        break
                    sent_at = at + timedelta(days=7 if answered_well else 3)
                elif sent_at + expire <= now:
                    delivery.step, delivery.reminded_at = DeliveryStep.EXPIRE, sent_at + remind
                    delivery.outcome, delivery.closed_at = DeliveryOutcome.MISSED, sent_at + expire
                    delivery.status, delivery.done_at = DueStatus.DONE, sent_at + expire
                    sent_at = sent_at + expire + timedelta(days=3)
                else:
                    # Still waiting for an answer: reminded if that came due, expiring later.
                    if sent_at + remind <= now:
                        delivery.step, delivery.reminded_at = DeliveryStep.EXPIRE, sent_at + remind
                        delivery.due_at = sent_at + expire
                    else:
                        delivery.step, delivery.due_at = DeliveryStep.REMIND, sent_at + remind
                    break


def _plan_discussions(
    chunk: _Chunk, plan: _CohortPlan, *, budget: int, now: datetime, rng: random.Random
) -> None:
    """Threads in the cohort's space and its study groups, replies, comments and reactions:
    about 55% posts and 45% reactions of `budget` records."""
    start = plan.enrolled + timedelta(hours=1)
    if start >= now or not plan.participants or budget <= 0:
        return
    # Most talk happens in the weeks around the workshop, then it thins out.
    end = min(now, plan.last + timedelta(days=120))
    if end <= start:
        end = now
    post_budget = round(budget * 0.55)
    reaction_budget = budget - post_budget
    thread_count = max(1, post_budget // 6)
    spaces: list[tuple[int | None, list[int]]] = [(None, plan.participants)]
    spaces += list(plan.groups.items())
    staff = [plan.instructor_id] if plan.instructor_id else []
    threads: list[tuple[Thread, list[int], list[Post]]] = []
    for _ in range(thread_count):
        # Two in five threads are in a study group once groups exist: collaboration and sharing.
        if len(spaces) > 1 and rng.random() < 0.4:
            group_id, people = rng.choice(spaces[1:])
        else:
            group_id, people = spaces[0]
        kind = rng.choice((PostKind.ARTICLE, PostKind.QUESTION, PostKind.DISCUSSION))
        opened = start + (end - start) * rng.random() ** 1.5
        author = rng.choice(people + staff)
        url = "https://example.org/article" if kind == PostKind.ARTICLE else ""
        thread = Thread(cohort=plan.cohort, study_group_id=group_id, author_id=author, kind=kind,
                        title=f"What I tried: {rng.choice(KNOWLEDGE_OBJECTIVES).lower()}",
                        created_at=opened, last_activity_at=opened, url=url)  # fmt: skip
        opening = Post(thread=thread, author_id=author, kind=kind, is_opening=True,
                       body="Here is what I found, and my question to you all.",
                       created_at=opened)  # fmt: skip
        chunk.threads.append(thread)
        chunk.posts.append(opening)
        threads.append((thread, people + staff, [opening]))
    remaining = post_budget - thread_count
    # A few threads draw most replies.
    popularity = [rng.random() ** 3 for _ in threads]
    for n in range(max(remaining, 0)):
        thread, people, posts = rng.choices(threads, weights=popularity)[0]
        at = min(now, posts[-1].created_at + timedelta(hours=rng.uniform(0.5, 48)))
        is_comment = n % 5 == 4 and len(posts) > 1
        post = Post(thread=thread, author_id=rng.choice(people),
                    kind=PostKind.COMMENT if is_comment else PostKind.REPLY,
                    body=rng.choice(REPLY_TEXTS), created_at=at,
                    parent=rng.choice(posts[1:]) if is_comment else None)  # fmt: skip
        (chunk.comments if is_comment else chunk.posts).append(post)
        if not is_comment:
            posts.append(post)
        thread.reply_count += 1
        thread.last_activity_at = max(thread.last_activity_at, at)
    seen: set[tuple[int, int, str]] = set()
    kinds = (ReactionKind.LIKE, ReactionKind.LEARNED, ReactionKind.USEFUL)
    for _ in range(reaction_budget):
        n = rng.choices(range(len(threads)), weights=popularity)[0]
        thread, people, posts = threads[n]
        k = rng.randrange(len(posts))
        user, kind = rng.choice(people), rng.choice(kinds)
        if (id(posts[k]), user, kind) in seen:
            # One reaction of a kind per person and post; a duplicate draw is simply skipped.
            continue
        seen.add((id(posts[k]), user, kind))
        at = min(now, posts[k].created_at + timedelta(hours=rng.uniform(0.1, 72)))
        chunk.reactions.append((posts[k], Reaction(post=posts[k], user_id=user, kind=kind,
                                                   created_at=at)))  # fmt: skip
        thread.reaction_count += 1


@functools.lru_cache(maxsize=256)
def _seed_html(body: str) -> str:
    """`post_html`, once per distinct text: the seed draws its texts from short lists."""
    return post_html(body)


def _chunk_write(chunk: _Chunk) -> dict[str, int]:
    """One bulk insert per model (split every ROWS_PER_INSERT rows), parents first: bulk_create
    copies a parent's freshly returned pk into each child's foreign key."""

    def insert(model, rows: list) -> None:
        if rows:
            model.objects.bulk_create(rows, batch_size=ROWS_PER_INSERT)

    insert(Survey, chunk.surveys)
    insert(Question, chunk.questions)
    insert(Choice, chunk.choices)
    insert(Round, chunk.rounds)
    insert(RoundEvent, chunk.events)
    insert(Response, chunk.responses)
    insert(Answer, chunk.answers)
    insert(Spark, chunk.sparks)
    insert(SparkChoice, chunk.spark_choices)
    insert(Thread, chunk.threads)
    insert(SparkThread, chunk.spark_threads)
    insert(Delivery, chunk.deliveries)
    # The key spark_answer gives the post, so a replayed answer would find it.
    for delivery, post, _ in chunk.spark_answers:
        post.idempotency_key = f"spark-answer:{delivery.pk}"
    # The HTML the services store with every post (the seed's texts mention no one).
    for post in (*chunk.posts, *chunk.comments):
        post.body_html = _seed_html(post.body)
    insert(Post, chunk.posts)
    insert(Post, chunk.comments)
    for _, post, answer in chunk.spark_answers:
        answer.post = post
    insert(SparkAnswer, [answer for _, _, answer in chunk.spark_answers])
    insert(Reaction, [reaction for _, reaction in chunk.reactions])
    answer_picks = Answer.choices.through
    insert(answer_picks, [answer_picks(answer_id=a.pk, choice_id=c.pk) for a, c in chunk.picks])
    spark_picks = SparkAnswer.choices.through
    insert(
        spark_picks,
        [spark_picks(sparkanswer_id=a.pk, sparkchoice_id=c.pk) for a, c in chunk.spark_picks],
    )
    return {
        "posts": len(chunk.posts) + len(chunk.comments),
        "reactions": len(chunk.reactions),
        "spark deliveries": len(chunk.deliveries),
        "spark answers": len(chunk.spark_answers),
        "survey responses": len(chunk.responses),
        "survey answers": len(chunk.answers),
        "survey rounds": len(chunk.rounds),
        "sparks": len(chunk.sparks),
    }


def activity_records_count(*, organization: Organization) -> int:
    """Every activity record of the organisation, counted in the database (five queries)."""
    return (
        Post.objects.filter(thread__cohort__organization=organization).count()
        + Reaction.objects.filter(post__thread__cohort__organization=organization).count()
        + Delivery.objects.filter(spark__cohort__organization=organization).count()
        + SparkAnswer.objects.filter(delivery__spark__cohort__organization=organization).count()
        + Response.objects.filter(
            status=ResponseStatus.SUBMITTED, round__cohort__organization=organization
        ).count()
    )


def bench_scaled_cohorts(organization: Organization) -> list[Cohort]:
    """The organisation's scheduled cohorts, in the order they were made, with their schedule."""
    return list(
        Cohort.objects.filter(organization=organization)
        .annotate(first_session_start=Min("sessions__starts_at"))
        .annotate(last_session_end=Max("sessions__ends_at"))
        .filter(first_session_start__isnull=False)
        .order_by("pk")
    )
