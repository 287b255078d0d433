"""Writing posts: starting threads, replying and commenting, editing and removing."""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, IntegerField, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce

from accounts.models import User
from cohorts.models import StudyGroup
from discussions.fanout import POST_FANOUT_JOB
from discussions.mentions import mentioned_people, post_mentions_record
from discussions.models import Follow, Post, PostKind, Reaction, Thread
from discussions.permissions import PostPermissions
from discussions.rendering import post_html
from notifications.jobs import jobs_schedule
from socialtraining import clock

THREAD_KINDS = (PostKind.ARTICLE, PostKind.QUESTION, PostKind.DISCUSSION)


class PostingError(Exception):
    """A post refused for a reason the author should read."""


def post_rate_limit() -> tuple[int, timedelta]:
    """POST_RATE_LIMIT such as "30/10m": at most 30 posts in 10 minutes."""
    count, amount, unit = re.fullmatch(r"(\d+)/(\d+)([smh])", settings.POST_RATE_LIMIT).groups()
    seconds = int(amount) * {"s": 1, "m": 60, "h": 3600}[unit]
    return int(count), timedelta(seconds=seconds)


def check_post_rate(author: User) -> None:
    limit, window = post_rate_limit()
    recent = Post.objects.filter(author=author, created_at__gt=clock.now() - window).count()
    if recent >= limit:
        minutes = round(window.total_seconds() / 60)
        raise PostingError(
            f"You have reached the limit of {limit} posts in {minutes} minutes. "
            "Your text is kept: please post it again in a few minutes."
        )


def _existing_post(author: User, idempotency_key: str) -> Post | None:
    if not idempotency_key:
        return None
    return (
        Post.objects.select_related("thread")
        .filter(author=author, idempotency_key=idempotency_key)
        .first()
    )


def _once(author: User, idempotency_key: str, create) -> Post:
    """Run `create` unless this author already posted with this key (a double click, a retry)."""
    existing = _existing_post(author, idempotency_key)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return create()
    except IntegrityError:
        # Two requests with the same key raced; the other one made the post.
        existing = _existing_post(author, idempotency_key)
        if existing is None:
            raise
        return existing


def thread_start(
    *,
    cohort,
    study_group: StudyGroup | None,
    author: User,
    kind: str,
    title: str,
    body: str,
    url: str = "",
    quote: str = "",
    idempotency_key: str,
) -> Thread:
    """Open a thread with its opening post in a space; the author follows it."""
    if kind not in THREAD_KINDS:
        raise ValueError(f"A thread is an article, a question or a discussion, not {kind!r}.")

    def create() -> Post:
        check_post_rate(author)
        thread = Thread.objects.create(
            cohort=cohort,
            study_group=study_group,
            author=author,
            kind=kind,
            title=title,
            url=url,
            quote=quote,
        )
        Follow.objects.create(thread=thread, user=author)
        people = mentioned_people(thread=thread, author=author, body=body)
        post = Post.objects.create(
            thread=thread,
            author=author,
            kind=kind,
            is_opening=True,
            body=body,
            body_html=post_html(body, [person.name for person in people]),
            idempotency_key=idempotency_key,
        )
        if post_mentions_record(post=post, people=people, notify=False):
            jobs_schedule(kind=POST_FANOUT_JOB, target_ids=[post.pk])
        return post

    return _once(author, idempotency_key, create).thread


def check_can_reply(*, thread: Thread, parent: Post | None) -> None:
    if thread.locked:
        raise PostingError("This thread is locked: it takes no new replies.")
    if parent is not None and (
        parent.thread_id != thread.pk or parent.kind != PostKind.REPLY or parent.parent_id
    ):
        raise PostingError("Comments go under a reply of this thread.")


def post_reply(
    *, thread: Thread, author: User, body: str, parent: Post | None = None, idempotency_key: str
) -> Post:
    """Reply to a thread, or comment under one of its replies (one level only).

    The replier follows the thread; its other followers are notified.
    """

    def create() -> Post:
        check_can_reply(thread=thread, parent=parent)
        check_post_rate(author)
        now = clock.now()
        people = mentioned_people(thread=thread, author=author, body=body)
        post = Post.objects.create(
            thread=thread,
            parent=parent,
            author=author,
            kind=PostKind.COMMENT if parent else PostKind.REPLY,
            body=body,
            body_html=post_html(body, [person.name for person in people]),
            created_at=now,
            idempotency_key=idempotency_key,
        )
        Thread.objects.filter(pk=thread.pk).update(
            reply_count=F("reply_count") + 1, last_activity_at=now
        )
        Follow.objects.get_or_create(thread=thread, user=author)
        post_mentions_record(post=post, people=people, notify=False)
        # Followers and mentioned people hear of it from a job after this request: its cost does
        # not grow with the number of people told.
        jobs_schedule(kind=POST_FANOUT_JOB, target_ids=[post.pk])
        return post

    return _once(author, idempotency_key, create)


def check_can_edit(*, post: Post, user: User) -> None:
    if refusal := PostPermissions(post, user).edit_refusal():
        raise PostingError(refusal)


def post_edit(*, post: Post, user: User, body: str) -> Post:
    check_can_edit(post=post, user=user)
    people = mentioned_people(thread=post.thread, author=user, body=body)
    post.body = body
    post.body_html = post_html(body, [person.name for person in people])
    post.edited_at = clock.now()
    post.save(update_fields=["body", "body_html", "edited_at"])
    post_mentions_record(post=post, people=people)
    return post


def check_can_remove(*, post: Post, user: User, may_moderate: bool) -> None:
    if refusal := PostPermissions(post, user, may_moderate=may_moderate).remove_refusal():
        raise PostingError(refusal)


def post_remove(*, post: Post, user: User, may_moderate: bool) -> Post:
    """Remove a post, leaving a placeholder so its comments and the thread keep their shape.

    Removing the opening post keeps the thread (its title and replies) with the opening removed.
    The text stays in the database for moderators; it is no longer shown.
    """
    check_can_remove(post=post, user=user, may_moderate=may_moderate)
    if post.removed_at is None:
        post.removed_at = clock.now()
        post.save(update_fields=["removed_at"])
    return post


def threads_recount(*, thread_ids: list[int]) -> int:
    """Set the counters `post_reply` and `reaction_set` keep (replies and comments, reactions, the
    latest post) from the rows themselves, for threads written in bulk (the demo and the scaled
    seed), so no writer keeps them by hand. One UPDATE, whatever the number of threads."""
    posts = Post.objects.filter(thread=OuterRef("pk")).order_by().values("thread")
    replies = posts.filter(is_opening=False).annotate(n=Count("pk")).values("n")
    latest = posts.annotate(at=Max("created_at")).values("at")
    reactions = (
        Reaction.objects.filter(post__thread=OuterRef("pk"))
        .order_by()
        .values("post__thread")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Thread.objects.filter(pk__in=thread_ids).update(
        reply_count=Coalesce(Subquery(replies, output_field=IntegerField()), 0),
        reaction_count=Coalesce(Subquery(reactions, output_field=IntegerField()), 0),
        last_activity_at=Coalesce(Subquery(latest), F("created_at")),
    )
