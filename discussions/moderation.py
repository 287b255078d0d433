"""Moderation: flagging, hiding and restoring posts, pinning and locking threads, and what
moderators read (the queue and its count), each read a constant number of database round trips
whatever the size of the cohort.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import Http404

from accounts.models import User
from cohorts.models import Cohort
from discussions import access
from discussions.models import Flag, Post, Thread
from discussions.permissions import PostPermissions
from discussions.thread_page import with_replies_before
from notifications.models import EmailKind
from notifications.services import notify
from socialtraining import clock


def get_post_to_moderate(user: User, cohort_pk: int, thread_pk: int, pk: int) -> Post:
    """The post, if `user` moderates its cohort (instructors and managers); otherwise 404."""
    post, scope = access.get_post_for(user, cohort_pk, thread_pk, pk)
    if not scope.can_teach:
        raise Http404("No such post.")
    return post


def _cohort_posts(cohort: Cohort) -> QuerySet[Post]:
    return Post.objects.filter(
        thread__cohort=cohort, thread__removed_at__isnull=True, removed_at__isnull=True
    )


def open_flag_count(cohort: Cohort) -> int:
    """Posts of the cohort with flags nobody has reviewed yet: the moderators' to-do count."""
    flagged = Flag.objects.filter(post=OuterRef("pk"), resolved_at__isnull=True)
    return _cohort_posts(cohort).filter(Exists(flagged)).count()


def moderation_queue(cohort: Cohort) -> QuerySet[Post]:
    """Posts with open flags or hidden, those waiting for review first, newest flag first."""
    posts = (
        _cohort_posts(cohort)
        .annotate(
            open_flags=Count("flags", filter=Q(flags__resolved_at__isnull=True)),
            last_flagged_at=Max("flags__created_at"),
        )
        .filter(Q(open_flags__gt=0) | Q(hidden_at__isnull=False))
        .annotate(
            waiting=Case(When(open_flags__gt=0, then=Value(1)), default=Value(0)),
        )
        .select_related("thread", "author")
        .order_by("-waiting", F("last_flagged_at").desc(nulls_last=True), "-pk")
    )
    return with_replies_before(posts)


def attach_open_flags(posts: list[Post]) -> None:
    """Give each post its open flags and a tally per reason, in one query for the page."""
    flags: dict[int, list[Flag]] = {}
    for flag in (
        Flag.objects.filter(post__in=[p.pk for p in posts], resolved_at__isnull=True)
        .select_related("user")
        .order_by("created_at")
    ):
        flags.setdefault(flag.post_id, []).append(flag)
    for post in posts:
        post.open_flag_list = flags.get(post.pk, [])
        tally: dict[str, int] = {}
        for flag in post.open_flag_list:
            # A reason is stored as "<choice>" or "<choice>: <the flagger's words>".
            choice = flag.reason.split(":", 1)[0]
            tally[choice] = tally.get(choice, 0) + 1
        post.reason_tally = sorted(tally.items(), key=lambda item: -item[1])


def thread_pin(*, thread: Thread, pinned: bool) -> Thread:
    thread.pinned = pinned
    thread.save(update_fields=["pinned"])
    return thread


def thread_lock(*, thread: Thread, locked: bool) -> Thread:
    thread.locked = locked
    thread.save(update_fields=["locked"])
    return thread


FLAGS_TO_HIDE = 3


class ModerationError(Exception):
    """A flag or moderation action refused for a reason the person should read."""


def check_can_flag(*, post: Post, user: User) -> None:
    if refusal := PostPermissions(post, user).flag_refusal():
        raise ModerationError(refusal)
    flag = Flag.objects.filter(post=post, user=user).only("resolved_at").first()
    if flag is not None and flag.resolved_at is None:
        raise ModerationError("You have already flagged this post; a moderator will review it.")
    # A resolved flag does not open again: a moderator has decided, and otherwise the same three
    # people could hide a restored post again and again.
    if flag is not None:
        raise ModerationError(
            "You flagged this post before and a moderator has reviewed it. "
            "If something new worries you, talk to your instructor."
        )


@transaction.atomic
def post_flag(*, post: Post, user: User, reason: str) -> Flag:
    """Flag a post; the third open flag hides it until a moderator reviews it."""
    check_can_flag(post=post, user=user)
    try:
        with transaction.atomic():
            flag = Flag.objects.create(post=post, user=user, reason=reason)
    except IntegrityError:
        # A double click raced this one: the first request made the flag.
        raise ModerationError(
            "You have already flagged this post; a moderator will review it."
        ) from None
    open_flags = Flag.objects.filter(post=post, resolved_at__isnull=True).count()
    if open_flags >= FLAGS_TO_HIDE:
        _hide(post, moderator=None)
    return flag


def _hide(post: Post, *, moderator: User | None) -> bool:
    """Hide the post unless it already is; tell its author once. True if this call hid it."""
    now = clock.now()
    # The conditional update lets exactly one of two racing requests hide it and notify.
    if not Post.objects.filter(pk=post.pk, hidden_at__isnull=True).update(hidden_at=now):
        return False
    post.hidden_at = now
    if post.author_id:
        thread = post.thread
        if moderator is None:
            body = (
                "A few people flagged it, so it is hidden while an instructor takes a look. "
                "This happens, and it is not a judgement of you: nothing is deleted, you can "
                "still see it, and we will let you know when it has been reviewed."
            )
        else:
            body = (
                "An instructor has hidden it from the other members; you can still see it. "
                "If you think this is a mistake, your instructor is happy to talk it through."
            )
        notify(
            user=post.author,
            kind=EmailKind.ACCOUNT,
            key=f"post-hidden:{post.pk}:{now.timestamp()}",
            title=f"Your post in “{thread.title}” is hidden for now",
            body=body,
            url=f"{thread.get_absolute_url()}#post-{post.pk}",
        )
    return True


def _resolve_flags(post: Post, moderator: User) -> int:
    return Flag.objects.filter(post=post, resolved_at__isnull=True).update(
        resolved_at=clock.now(), resolved_by=moderator
    )


@transaction.atomic
def post_hide(*, post: Post, moderator: User) -> None:
    """A moderator hides a post from members: its flags are resolved, it stays hidden."""
    _hide(post, moderator=moderator)
    _resolve_flags(post, moderator)


@transaction.atomic
def post_restore(*, post: Post, moderator: User) -> None:
    """A moderator shows a hidden post again and resolves its flags; the author is told."""
    _resolve_flags(post, moderator)
    if not Post.objects.filter(pk=post.pk, hidden_at__isnull=False).update(hidden_at=None):
        return
    post.hidden_at = None
    if post.author_id:
        thread = post.thread
        notify(
            user=post.author,
            kind=EmailKind.ACCOUNT,
            key=f"post-restored:{post.pk}:{clock.now().timestamp()}",
            title=f"Your post in “{thread.title}” is visible again",
            body="A moderator has reviewed it and it is back for everyone. Thank you for your "
            "patience.",
            url=f"{thread.get_absolute_url()}#post-{post.pk}",
        )


@transaction.atomic
def flags_dismiss(*, post: Post, moderator: User) -> int:
    """A moderator finds the flags unfounded: they are resolved and the post stays as it is."""
    return _resolve_flags(post, moderator)
