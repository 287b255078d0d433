"""Discussions for the demo organisation: seeded prompts, participants' posts, replies, reactions.

Rows are written directly (not through the posting services) so that seeding sends no mail and
every timestamp can lie in the past, where a real cohort's conversation would be.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max, Min

from accounts.models import User
from cohorts.models import Cohort, CohortRole, Enrolment, StudyGroup
from cohorts.timeline import Anchor
from demo.conversation_plans import (
    COHORT_PLANS,
    FLAG_REASON,
    FLAGGED_REPLY,
    ScheduledPlan,
    ThreadPlan,
)
from discussions.models import (
    Flag,
    Follow,
    Mention,
    Post,
    PostKind,
    Prompt,
    Reaction,
    ReactionKind,
    ReadMarker,
    Target,
    Thread,
)
from discussions.posting import threads_recount
from discussions.rendering import post_html
from notifications.scheduling import DueStatus


@dataclass
class SeedCounts:
    threads: int = 0
    posts: int = 0
    reactions: int = 0
    prompts: int = 0


def demo_conversations_create(
    *, cohorts: dict[str, Cohort], participant: User, rng: random.Random, now: datetime
) -> dict[str, int]:
    """Seed every demo cohort's discussions; `participant` (the demo login) takes part."""
    counts = SeedCounts()
    for name, (threads, scheduled) in COHORT_PLANS.items():
        _cohort_conversations_create(
            cohort=cohorts[name],
            threads=threads,
            scheduled=scheduled,
            participant=participant,
            rng=rng,
            now=now,
            counts=counts,
        )
    _flagged_reply_create(cohort=cohorts["Leading hybrid teams"], rng=rng, now=now)
    return {
        "threads": counts.threads,
        "posts": counts.posts,
        "reactions": counts.reactions,
        "prompts": counts.prompts,
    }


def _cohort_conversations_create(
    *,
    cohort: Cohort,
    threads: tuple[ThreadPlan, ...],
    scheduled: tuple[ScheduledPlan, ...],
    participant: User,
    rng: random.Random,
    now: datetime,
    counts: SeedCounts,
) -> None:
    bounds = cohort.sessions.aggregate(first=Min("starts_at"), last=Max("ends_at"))
    enrolments = list(Enrolment.objects.filter(cohort=cohort).select_related("user"))
    instructors = [e.user for e in enrolments if e.role == CohortRole.INSTRUCTOR]
    members = [e.user for e in enrolments if e.role != CohortRole.INSTRUCTOR]
    group_members: dict[int, list[User]] = {}
    for e in enrolments:
        if e.study_group_id and e.role != CohortRole.INSTRUCTOR:
            group_members.setdefault(e.study_group_id, []).append(e.user)
    groups = list(StudyGroup.objects.filter(cohort=cohort).order_by("pk"))

    for plan in threads:
        opened = bounds["first"] + timedelta(days=plan.days)
        instructor = rng.choice(instructors)
        prompt = None
        if plan.prompt:
            prompt = Prompt.objects.create(
                cohort=cohort,
                author=instructor,
                kind=plan.kind,
                title=plan.title,
                body=plan.body,
                url=plan.url,
                quote=plan.quote,
                target=Target.GROUPS if plan.in_groups else Target.COHORT,
                anchor=Anchor.AT,
                post_first=plan.post_first,
                due_at=opened,
                status=DueStatus.DONE,
                done_at=opened,
                created_at=opened - timedelta(days=3),
            )
            counts.prompts += 1
        spaces = [(g, group_members.get(g.pk, [])) for g in groups] if plan.in_groups else []
        for group, people in spaces or [(None, members)]:
            if not people:
                continue
            author = instructor if plan.prompt else rng.choice(people)
            _thread_create(
                cohort=cohort,
                group=group,
                prompt=prompt,
                plan=plan,
                author=author,
                people=people,
                instructors=instructors,
                participant=participant,
                opened=opened,
                rng=rng,
                now=now,
                counts=counts,
            )

    for plan in scheduled:
        prompt = Prompt(
            cohort=cohort,
            author=instructors[0],
            kind=plan.kind,
            title=plan.title,
            body=plan.body,
            url=plan.url,
            target=plan.target,
            anchor=plan.anchor,
            offset_days=plan.offset_days,
            release_time=plan.release_time,
            created_at=now - timedelta(days=1),
        )
        # The same computation the prompt timeline uses, so the demo's times match its rules.
        prompt.due_at = prompt.compute_due_at()
        prompt.save()
        counts.prompts += 1


def _thread_create(
    *,
    cohort: Cohort,
    group: StudyGroup | None,
    prompt: Prompt | None,
    plan: ThreadPlan,
    author: User,
    people: list[User],
    instructors: list[User],
    participant: User,
    opened: datetime,
    rng: random.Random,
    now: datetime,
    counts: SeedCounts,
) -> None:
    thread = Thread.objects.create(
        cohort=cohort,
        study_group=group,
        prompt=prompt,
        author=author,
        kind=plan.kind,
        title=plan.title,
        url=plan.url,
        quote=plan.quote,
        post_first=plan.post_first,
        pinned=plan.pinned,
        created_at=opened,
        last_activity_at=opened,
    )
    Post.objects.create(
        thread=thread, author=author, kind=plan.kind, is_opening=True, body=plan.body,
        body_html=post_html(plan.body), created_at=opened,
    )  # fmt: skip
    repliers = [p for p in people if p != author]
    rng.shuffle(repliers)
    # The demo participant answers in their own spaces, so their view has their own voice in it.
    # Except where peers' replies stay hidden until one posts: the demo shows that gate closed.
    if participant in repliers:
        repliers.remove(participant)
        if not plan.post_first:
            repliers.insert(1, participant)
    # Replies spread over the days after the thread opened, never in the future.
    span = max(0.0, min((now - opened).total_seconds(), 5 * 86400))
    moments = sorted(opened + timedelta(seconds=rng.uniform(60, span)) for _ in plan.replies)
    replies = []
    for text, at, who in zip(plan.replies, moments, repliers, strict=False):
        if at >= now:
            continue
        replies.append(
            Post.objects.create(
                thread=thread,
                author=who,
                kind=PostKind.REPLY,
                body=text,
                body_html=post_html(text),
                created_at=at,
            )
        )
    comments = []
    for index, text in plan.comments:
        if index >= len(replies):
            continue
        parent = replies[index]
        at = min(now - timedelta(minutes=5), parent.created_at + timedelta(hours=3))
        commenter = rng.choice([p for p in [*people, *instructors] if p != parent.author])
        comments.append(
            Post.objects.create(
                thread=thread,
                parent=parent,
                author=commenter,
                kind=PostKind.COMMENT,
                body=text,
                body_html=post_html(text),
                created_at=at,
            )
        )
    if len(replies) >= 3:
        endorsed = max(replies, key=lambda post: len(post.body))
        Post.objects.filter(pk=endorsed.pk).update(endorsed_by=instructors[0])
    reactions = _reactions_create(posts=replies, people=[*people, *instructors], rng=rng)
    posts = replies + comments
    threads_recount(thread_ids=[thread.pk])
    followers = {author.pk, *(p.author_id for p in posts)}
    Follow.objects.bulk_create(Follow(thread=thread, user_id=pk) for pk in followers)
    # The demo participant has read older threads; newer activity shows as unread.
    if participant in people and opened < now - timedelta(days=3):
        ReadMarker.objects.create(thread=thread, user=participant, read_at=opened + timedelta(1))
    counts.threads += 1
    counts.posts += 1 + len(posts)
    counts.reactions += reactions


def _reactions_create(*, posts: list[Post], people: list[User], rng: random.Random) -> int:
    kinds = [ReactionKind.LIKE] * 3 + [ReactionKind.LEARNED, ReactionKind.USEFUL]
    rows = {}
    for post in posts:
        others = [p for p in people if p.pk != post.author_id]
        for person in rng.sample(others, min(len(others), rng.randint(0, 5))):
            kind = rng.choice(kinds)
            rows[(post.pk, person.pk, kind)] = Reaction(
                post=post, user=person, kind=kind, created_at=post.created_at
            )
    Reaction.objects.bulk_create(rows.values())
    return len(rows)


def _flagged_reply_create(*, cohort: Cohort, rng: random.Random, now: datetime) -> None:
    """One flagged reply, waiting in the instructors' moderation queue."""
    thread = Thread.objects.get(cohort=cohort, study_group=None, pinned=True)
    members = list(
        Enrolment.objects.filter(cohort=cohort, role=CohortRole.PARTICIPANT)
        .exclude(user_id=thread.author_id)
        .select_related("user")
    )
    spammer, flagger = (e.user for e in rng.sample(members, 2))
    at = now - timedelta(hours=20)
    reply = Post.objects.create(
        thread=thread, author=spammer, kind=PostKind.REPLY, body=FLAGGED_REPLY,
        body_html=post_html(FLAGGED_REPLY), created_at=at,
    )  # fmt: skip
    Flag.objects.create(post=reply, user=flagger, reason=FLAG_REASON, created_at=at)
    threads_recount(thread_ids=[thread.pk])


BENCH_THREADS = 1000
BENCH_REPLIES = 2000
BENCH_OPENING = "An opening post."
BENCH_COMMENT = "A comment."


def bench_conversations_create(*, cohort: Cohort, rng: random.Random, now: datetime) -> Thread:
    """A busy cohort space for the benchmark: 1,000 threads, one of them with 2,000 replies.

    Every reply of the busy thread has reactions, some have a comment and some mention a
    member, so the page's query count is measured with all of them present. Returns that thread.
    """
    people = [e.user for e in Enrolment.objects.filter(cohort=cohort).select_related("user")]
    opened = now - timedelta(days=30)
    opening_html = post_html(BENCH_OPENING)
    threads = Thread.objects.bulk_create(
        Thread(
            cohort=cohort,
            author=rng.choice(people),
            kind=rng.choice((PostKind.ARTICLE, PostKind.QUESTION, PostKind.DISCUSSION)),
            title=f"Benchmark thread {n + 1}: what did you try this week?",
            created_at=opened + timedelta(minutes=n),
            last_activity_at=opened + timedelta(minutes=n),
        )
        for n in range(BENCH_THREADS)
    )
    Post.objects.bulk_create(
        Post(
            thread=t, author=t.author, kind=t.kind, is_opening=True, body=BENCH_OPENING,
            body_html=opening_html, created_at=t.created_at,
        )
        for t in threads
    )  # fmt: skip
    busy = threads[-1]
    texts = [
        f"Reply {n + 1}: **one** thing I changed, and [a link](https://example.org/{n})."
        for n in range(BENCH_REPLIES)
    ]
    replies = Post.objects.bulk_create(
        Post(
            thread=busy,
            author=rng.choice(people),
            kind=PostKind.REPLY,
            body=text,
            body_html=post_html(text),
            created_at=busy.created_at + timedelta(minutes=n + 1),
        )
        for n, text in enumerate(texts)
    )
    comment_html = post_html(BENCH_COMMENT)
    Post.objects.bulk_create(
        Post(
            thread=busy, parent=reply, author=rng.choice(people), kind=PostKind.COMMENT,
            body=BENCH_COMMENT, body_html=comment_html,
            created_at=reply.created_at + timedelta(seconds=30),
        )
        for reply in replies[::4]
    )  # fmt: skip
    Reaction.objects.bulk_create(
        Reaction(post=reply, user=person, kind=kind)
        for reply in replies
        for person, kind in zip(
            rng.sample(people, 3),
            (ReactionKind.LIKE, ReactionKind.LEARNED, ReactionKind.USEFUL),
            strict=True,
        )
    )
    Mention.objects.bulk_create(
        Mention(post=reply, user=rng.choice(people)) for reply in replies[::10]
    )
    threads_recount(thread_ids=[busy.pk])
    busy.refresh_from_db()
    return busy
