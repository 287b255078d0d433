"""Writes that span models or notify anyone: starting threads, replying, releasing prompts."""

from __future__ import annotations

import html
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from accounts.models import User
from cohorts.models import Cohort, Enrolment, StudyGroup
from discussions import access
from discussions.models import (
    Anchor,
    Flag,
    Follow,
    Mention,
    Post,
    PostKind,
    Prompt,
    Reaction,
    ReactionKind,
    ReadMarker,
    ScheduleError,
    Target,
    Thread,
)
from discussions.rendering import MENTION_PATTERN, post_html
from notifications import scheduling
from notifications.emails import EmailTemplate, absolute_url
from notifications.jobs import jobs_schedule
from notifications.models import EmailKind
from notifications.scheduling import DueStatus
from notifications.services import (
    Notice,
    notifications_mark_topic_read,
    notify,
    notify_many,
    unsubscribe_label,
)
from socialtraining import clock
from socialtraining.markdown import render_markdown

THREAD_KINDS = (PostKind.ARTICLE, PostKind.QUESTION, PostKind.DISCUSSION)


class PostingError(Exception):
    """A post refused for a reason the author should read."""


def thread_url(thread: Thread) -> str:
    return reverse("discussions:thread", args=[thread.cohort_id, thread.pk])


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


# Thread interactions: reactions, endorsement, pin and lock, editing and removing posts.


def thread_mark_read(*, thread: Thread, user: User) -> None:
    """Remember that `user` has read the thread up to now (the feed's "new" markers)."""
    # One upsert (INSERT ... ON CONFLICT DO UPDATE on SQLite and PostgreSQL) per page view.
    ReadMarker.objects.bulk_create(
        [ReadMarker(thread=thread, user=user, read_at=clock.now())],
        update_conflicts=True,
        unique_fields=["thread", "user"],
        update_fields=["read_at"],
    )
    notifications_mark_topic_read(user=user, topic_key=thread_topic(thread.pk))


def check_can_react(post: Post) -> None:
    if post.removed_at or post.hidden_at:
        raise PostingError("This post was removed or is hidden: it takes no reactions.")


@transaction.atomic
def reaction_set(*, post: Post, user: User, kind: str, on: bool) -> None:
    """Add (`on`) or take back `user`'s reaction of `kind`; a resent form changes nothing more.

    The thread's reaction_count moves with it, so the feed can sort by reactions without counting.
    """
    if kind not in ReactionKind.values:
        raise PostingError("Choose like, learned something or useful.")
    check_can_react(post)
    if on:
        _, changed = Reaction.objects.get_or_create(post=post, user=user, kind=kind)
    else:
        changed, _ = Reaction.objects.filter(post=post, user=user, kind=kind).delete()
    if changed:
        step = 1 if on else -1
        Thread.objects.filter(pk=post.thread_id).update(reaction_count=F("reaction_count") + step)


def post_endorse(*, post: Post, by: User, endorsed: bool) -> Post:
    """Endorse a reply as `by` (an instructor or manager: the caller checks), or withdraw it."""
    if post.kind != PostKind.REPLY or post.removed_at:
        raise PostingError("Only a reply can be endorsed.")
    if endorsed != bool(post.endorsed_by_id):
        post.endorsed_by = by if endorsed else None
        post.save(update_fields=["endorsed_by"])
    return post


def thread_pin(*, thread: Thread, pinned: bool) -> Thread:
    thread.pinned = pinned
    thread.save(update_fields=["pinned"])
    return thread


def thread_lock(*, thread: Thread, locked: bool) -> Thread:
    thread.locked = locked
    thread.save(update_fields=["locked"])
    return thread


def check_can_edit(*, post: Post, user: User) -> None:
    if post.author_id != user.pk:
        raise PostingError("Only its author can edit a post.")
    if post.removed_at:
        raise PostingError("This post was removed: it can no longer be edited.")
    if clock.now() > post.editable_until():
        raise PostingError(
            f"Posts can be edited for {settings.POST_EDIT_WINDOW_MINUTES} minutes after posting; "
            "this one can no longer be changed. Your text is kept below: post it as a new reply "
            "if it still matters."
        )


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
    if post.author_id != user.pk and not may_moderate:
        raise PostingError("Only its author or an instructor can remove a post.")


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


# Telling people: a post's followers and mentioned people, a released prompt's members.

POST_FANOUT_JOB = "post_fanout"
EXCERPT_CHARS = 300


def thread_topic(thread_id: int) -> str:
    """What bundles and digests group a thread's notifications by."""
    return f"thread:{thread_id}"


def plain_text(body: str) -> str:
    """A post's text as a reader sees it, without markup (for emails' plain-text parts)."""
    body = MENTION_PATTERN.sub(lambda match: f"@{match.group(1)}", body or "")
    return " ".join(html.unescape(strip_tags(render_markdown(body))).split())


def post_excerpt(body: str) -> str:
    """The post's text as a reader sees it, cut at EXCERPT_CHARS."""
    text = plain_text(body)
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"


def _post_notice(post: Post, person: User, *, kind: str, title: str, excerpt: str) -> Notice:
    thread = post.thread
    return Notice(
        user=person,
        key=f"{'mention' if kind == EmailKind.MENTION else 'reply'}:{post.pk}",
        kind=kind,
        title=title,
        url=f"{thread_url(thread)}#post-{post.pk}",
        topic_key=thread_topic(thread.pk),
        topic_title=thread.title,
        actor_name=post.author.name if post.author_id else "",
        excerpt=excerpt,
    )


def posts_fan_out(jobs: list) -> dict:
    """Work of the `post_fanout` jobs: tell each new post's mentioned people and its thread's
    followers, in a few queries per post whatever their number.

    Followers are re-checked against the space: someone moved out of a study group (or out of
    the cohort) keeps the Follow row but hears nothing more. A follower who is also mentioned
    hears once, by the more personal notification.
    """
    posts = Post.objects.select_related("thread__cohort", "thread__study_group", "author")
    for post in posts.filter(pk__in=[job.target_id for job in jobs]):
        if post.removed_at or post.hidden_at:
            continue
        thread = post.thread
        excerpt = post_excerpt(post.body)
        mentioned = list(
            access.people_who_see(access.space_of(thread))
            .filter(pk__in=Mention.objects.filter(post=post).values("user_id"))
            .select_related("notification_preference")
        )
        followers = (
            access.people_who_see(access.space_of(thread))
            .filter(pk__in=Follow.objects.filter(thread=thread).values("user_id"))
            .exclude(pk=post.author_id)
            .exclude(pk__in=[person.pk for person in mentioned])
            .select_related("notification_preference")
        )
        author = post.author.name if post.author_id else "Someone"
        what = "commented in" if post.parent_id else "replied to"
        notify_many(
            [
                _post_notice(
                    post,
                    person,
                    kind=EmailKind.MENTION,
                    title=f"{author} mentioned you in “{thread.title}”",
                    excerpt=excerpt,
                )
                for person in mentioned
            ]
            + [
                _post_notice(
                    post,
                    person,
                    kind=EmailKind.REPLY,
                    title=f"{author} {what} “{thread.title}”",
                    excerpt=excerpt,
                )
                for person in followers
            ]
        )
    return {}


def prompt_email(prompt: Prompt, thread: Thread) -> EmailTemplate:
    """The prompt itself in the email, rendered once for everyone it goes to."""
    body_html = render_markdown(prompt.body) if prompt.body else ""
    return EmailTemplate(
        "prompt",
        {
            "kind_label": unsubscribe_label(EmailKind.PROMPT),
            "cohort_name": prompt.cohort.name,
            "group_name": thread.study_group.name if thread.study_group_id else "",
            "kind_name": prompt.get_kind_display().lower(),
            "author_name": prompt.author.name if prompt.author_id else "your instructor",
            "title": prompt.title,
            "article_url": prompt.url,
            "quote": prompt.quote,
            "body_html": body_html,
            "body_text": plain_text(prompt.body),
            "post_first": prompt.post_first,
            "url": absolute_url(thread_url(thread)),
        },
    )


def prompt_release(prompt: Prompt) -> list[Thread]:
    """Open the prompt's thread in the cohort space or in every study group; tell each member.

    Safe to run twice: one thread per (prompt, group) and one notification per person and thread.
    Everyone is told in one `notify_many` per thread, with the prompt's content in the email.
    """
    cohort = prompt.cohort
    groups = list(cohort.study_groups.all()) if prompt.target == Target.GROUPS else [None]
    members = (
        Enrolment.objects.filter(cohort=cohort, user__is_active=True)
        .exclude(user_id=prompt.author_id)
        .select_related("user__notification_preference")
    )
    by_group: dict[int | None, list[User]] = {}
    for enrolment in members:
        by_group.setdefault(enrolment.study_group_id, []).append(enrolment.user)
    threads = []
    for group in groups:
        thread, created = Thread.objects.get_or_create(
            prompt=prompt,
            study_group=group,
            defaults={
                "cohort": cohort,
                "author": prompt.author,
                "kind": prompt.kind,
                "title": prompt.title,
                "url": prompt.url,
                "quote": prompt.quote,
                "post_first": prompt.post_first,
            },
        )
        if created:
            Post.objects.create(
                thread=thread,
                author=prompt.author,
                kind=prompt.kind,
                is_opening=True,
                body=prompt.body,
                body_html=post_html(prompt.body),
            )
            if prompt.author_id:
                Follow.objects.get_or_create(thread=thread, user_id=prompt.author_id)
        people = (
            by_group.get(group.pk, [])
            if group
            else [user for users in by_group.values() for user in users]
        )
        email = prompt_email(prompt, thread)
        notify_many(
            [
                Notice(
                    user=person,
                    key=f"prompt:{prompt.pk}:{thread.pk}",
                    kind=EmailKind.PROMPT,
                    title=f"New in {cohort.name}: {prompt.title}",
                    url=thread_url(thread),
                    topic_key=thread_topic(thread.pk),
                    topic_title=thread.title,
                    actor_name=prompt.author.name if prompt.author_id else "",
                    excerpt=post_excerpt(prompt.body),
                    email=email,
                )
                for person in people
            ]
        )
        threads.append(thread)
    return threads


def prompts_release(prompts: list[Prompt]) -> dict:
    """Work of the `prompt_release` due kind: release a batch of due prompts."""
    for prompt in Prompt.objects.select_related("cohort", "author").filter(
        pk__in=[p.pk for p in prompts]
    ):
        prompt_release(prompt)
    return {}


# Moderation: flags, hiding and restoring posts.

FLAGS_TO_HIDE = 3


class ModerationError(Exception):
    """A flag or moderation action refused for a reason the person should read."""


def check_can_flag(*, post: Post, user: User) -> None:
    if post.author_id == user.pk:
        raise ModerationError("You can't flag your own post. You can edit or delete it instead.")
    if post.removed_at:
        raise ModerationError("This post was removed: there is nothing left to flag.")
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
            url=f"{thread_url(thread)}#post-{post.pk}",
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
            url=f"{thread_url(thread)}#post-{post.pk}",
        )


@transaction.atomic
def flags_dismiss(*, post: Post, moderator: User) -> int:
    """A moderator finds the flags unfounded: they are resolved and the post stays as it is."""
    return _resolve_flags(post, moderator)


# Prompts: scheduling, editing, cancelling, publishing now.


class PromptError(Exception):
    """A change to a prompt refused for a reason the instructor should read."""


def _release_after_commit(prompt: Prompt) -> None:
    """Have the dispatcher release it at once after commit, as it would at the next minute.

    With the broker down the request still succeeds; the row is pending and due, so the next
    minute's dispatcher sweep releases it.
    """
    scheduling.kick("prompt_release")


def _schedule(prompt: Prompt, *, at: datetime | None, now: datetime) -> None:
    """Set `due_at` from the prompt's anchor; a chosen moment must still be ahead."""
    prompt.due_at = prompt.compute_due_at(at=at, now=now)
    if prompt.anchor != Anchor.NOW and prompt.due_at <= now:
        local = timezone.localtime(prompt.due_at, prompt.cohort.tz)
        raise ScheduleError(
            f"That is {local:%a %-d %b %Y, %H:%M} in {prompt.cohort.time_zone}, which has already "
            "passed. Choose a later time, or publish it now.",
            "at" if prompt.anchor == Anchor.AT else "offset_days",
        )


@transaction.atomic
def prompt_create(
    *,
    cohort: Cohort,
    author: User,
    kind: str,
    title: str,
    body: str,
    url: str = "",
    quote: str = "",
    target: str = Target.COHORT,
    post_first: bool = False,
    anchor: str = Anchor.NOW,
    at: datetime | None = None,
    offset_days: int = 0,
    release_time: time | None = None,
    idempotency_key: str = "",
) -> Prompt:
    """Schedule a prompt; one for "now" is released straight away by the same task.

    With an idempotency key already used by this author, the prompt made then is returned.
    """
    if idempotency_key:
        existing = Prompt.objects.filter(author=author, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    prompt = Prompt(
        idempotency_key=idempotency_key,
        cohort=cohort,
        author=author,
        kind=kind,
        title=title,
        body=body,
        url=url,
        quote=quote,
        target=target,
        post_first=post_first,
        anchor=anchor,
        offset_days=offset_days or 0,
        release_time=release_time or time(9, 0),
    )
    _schedule(prompt, at=at, now=clock.now())
    try:
        with transaction.atomic():
            prompt.save()
    except IntegrityError:
        # Two submits of the same form raced; the other one scheduled the prompt.
        if not idempotency_key:
            raise
        return Prompt.objects.get(author=author, idempotency_key=idempotency_key)
    if prompt.anchor == Anchor.NOW:
        _release_after_commit(prompt)
    return prompt


def _lock_for_change(prompt: Prompt, *, allowed=(DueStatus.PENDING, DueStatus.FAILED)) -> Prompt:
    """The prompt's row, locked, if its status allows the change; otherwise a PromptError.

    The lock waits for a release in progress (its batch holds the row), so a prompt is
    never changed or cancelled half-way through its release.
    """
    locked = Prompt.objects.select_for_update().get(pk=prompt.pk)
    locked.cohort = prompt.cohort
    if locked.status in allowed:
        return locked
    if locked.status == DueStatus.DONE:
        raise PromptError(
            "This prompt has been released: it is a thread now, and its schedule and content can "
            "no longer change here. Edit the opening post in the thread instead."
        )
    if locked.status == DueStatus.CANCELLED:
        raise PromptError("This prompt was cancelled; it will not be released.")
    raise PromptError("This prompt is being released right now; it can no longer be changed.")


@transaction.atomic
def prompt_update(
    *,
    prompt: Prompt,
    kind: str,
    title: str,
    body: str,
    url: str = "",
    quote: str = "",
    target: str = Target.COHORT,
    post_first: bool = False,
    anchor: str,
    at: datetime | None = None,
    offset_days: int = 0,
    release_time: time | None = None,
) -> Prompt:
    """Change an upcoming prompt's content and schedule; rescheduling recomputes `due_at`."""
    locked = _lock_for_change(prompt)
    locked.kind, locked.title, locked.body, locked.url, locked.quote = (
        kind,
        title,
        body,
        url,
        quote,
    )
    locked.target, locked.post_first = target, post_first
    locked.anchor, locked.offset_days = anchor, offset_days or 0
    locked.release_time = release_time or time(9, 0)
    _schedule(locked, at=at, now=clock.now())
    # A failed prompt that is edited gets a fresh start.
    locked.status, locked.attempts, locked.last_error = DueStatus.PENDING, 0, ""
    locked.save(
        update_fields=[
            "kind",
            "title",
            "body",
            "url",
            "quote",
            "target",
            "post_first",
            "anchor",
            "offset_days",
            "release_time",
            "due_at",
            "status",
            "attempts",
            "last_error",
        ]
    )
    if locked.anchor == Anchor.NOW:
        _release_after_commit(locked)
    return locked


@transaction.atomic
def prompt_cancel(*, prompt: Prompt) -> Prompt:
    """Cancel a prompt not yet released; a claimed one is skipped by its release task."""
    locked = _lock_for_change(
        prompt, allowed=(DueStatus.PENDING, DueStatus.CLAIMED, DueStatus.FAILED)
    )
    locked.status, locked.claimed_until = DueStatus.CANCELLED, None
    locked.save(update_fields=["status", "claimed_until"])
    return locked


@transaction.atomic
def prompt_publish_now(*, prompt: Prompt) -> Prompt:
    """Release an upcoming (or failed) prompt now, through the same task as the dispatcher."""
    locked = _lock_for_change(prompt)
    # Anchored to "now" from here on, so a later change of the sessions does not move it back.
    locked.anchor, locked.due_at = Anchor.NOW, clock.now()
    locked.status, locked.attempts, locked.last_error = DueStatus.PENDING, 0, ""
    locked.save(update_fields=["anchor", "due_at", "status", "attempts", "last_error"])
    _release_after_commit(locked)
    return locked


def prompts_follow_schedule(*, cohort: Cohort, previous_time_zone: str) -> int:
    """Recompute the due time of the cohort's pending prompts after its sessions or zone changed.

    Registered with cohorts.hooks and called inside cohort_update's transaction. Offset prompts
    follow the sessions; a prompt at a fixed local date and time keeps its wall-clock time in a
    new time zone. A prompt whose anchor session is gone keeps its last due time (the timeline
    warns). Rows already tried (attempts > 0) are in their retry backoff and keep it.
    """
    prompts = list(
        Prompt.objects.select_for_update()
        .filter(cohort=cohort, status=DueStatus.PENDING, attempts=0)
        .exclude(anchor=Anchor.NOW)
    )
    zone_changed = previous_time_zone != cohort.time_zone
    changed = []
    for prompt in prompts:
        prompt.cohort = cohort
        try:
            if prompt.is_offset:
                due_at = prompt.compute_due_at()
            elif zone_changed:
                local = timezone.localtime(prompt.due_at, ZoneInfo(previous_time_zone))
                due_at = prompt.compute_due_at(at=local.replace(tzinfo=cohort.tz))
            else:
                continue
        except ScheduleError:
            continue
        if due_at != prompt.due_at:
            prompt.due_at = due_at
            changed.append(prompt)
    Prompt.objects.bulk_update(changed, ["due_at"])
    return len(changed)


# Mentions and following.

# `@[Name]` (MENTION_PATTERN, discussions.rendering) names at most this many people per post.
MAX_MENTIONS_PER_POST = 20


def mentioned_names(body: str) -> list[str]:
    """The distinct names written as `@[Name]`, in order, at most MAX_MENTIONS_PER_POST."""
    names: dict[str, str] = {}
    for match in MENTION_PATTERN.finditer(body or ""):
        name = match.group(1).strip()
        if name:
            names.setdefault(name.casefold(), name)
    return list(names.values())[:MAX_MENTIONS_PER_POST]


def mention_candidates(space: access.Space, names: list[str]) -> list[User]:
    """People who see the space and go by one of `names`; no one outside it is ever matched."""
    if not names:
        return []
    by_name = Q()
    for name in names:
        # User.name is the display name, or the email's local part when there is none.
        by_name |= Q(display_name__iexact=name) | Q(display_name="", email__istartswith=f"{name}@")
    wanted = {name.casefold() for name in names}
    people = access.people_who_see(space).filter(by_name).select_related("notification_preference")
    return [person for person in people if person.name.casefold() in wanted]


def mentioned_people(*, thread: Thread, author: User, body: str) -> list[User]:
    """Whom `body` mentions among the people who see the thread, its author left out.

    The one rule for both the marks in the stored HTML and the Mention rows.
    """
    names = mentioned_names(body)
    if not names:
        return []
    space = access.space_of(thread)
    return [person for person in mention_candidates(space, names) if person.pk != author.pk]


def post_mentions_record(*, post: Post, people: list[User], notify: bool = True) -> list[User]:
    """Store whom the post mentions (`mentioned_people`, as its HTML marks them); notify the
    new ones.

    Called after a post is written (`notify=False`: its fan-out job tells them after the
    request) or edited: an edit that adds a mention notifies only the added person (one
    notification per person and post, whatever the number of edits).
    """
    if not people and not post.edited_at:
        return []
    thread = post.thread
    before = set(Mention.objects.filter(post=post).values_list("user_id", flat=True))
    Mention.objects.filter(post=post).exclude(user_id__in=[p.pk for p in people]).delete()
    added = [person for person in people if person.pk not in before]
    Mention.objects.bulk_create([Mention(post=post, user=p) for p in added], ignore_conflicts=True)
    if notify and added:
        excerpt = post_excerpt(post.body)
        notify_many(
            [
                _post_notice(
                    post,
                    person,
                    kind=EmailKind.MENTION,
                    title=f"{post.author.name} mentioned you in “{thread.title}”",
                    excerpt=excerpt,
                )
                for person in added
            ]
        )
    return added


def mention_suggestions(*, space: access.Space, prefix: str, exclude: User) -> list[User]:
    """Up to 8 people who see the space whose name (or a word of it) starts with `prefix`."""
    prefix = prefix.strip()[:50]
    people = access.people_who_see(space).exclude(pk=exclude.pk)
    if prefix:
        people = people.filter(
            Q(display_name__istartswith=prefix)
            | Q(display_name__icontains=f" {prefix}")
            | Q(display_name="", email__istartswith=prefix)
        )
    return list(people.order_by("display_name", "email")[:8])


def thread_follow(*, thread: Thread, user: User, on: bool) -> bool:
    """Follow (`on`) or stop following; a resent form changes nothing more."""
    if on:
        Follow.objects.get_or_create(thread=thread, user=user)
    else:
        Follow.objects.filter(thread=thread, user=user).delete()
    return on


def thread_is_followed(*, thread: Thread, user: User) -> bool:
    return Follow.objects.filter(thread=thread, user=user).exists()
