"""Writes that span models or notify anyone: starting threads, replying, releasing prompts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Role, User
from cohorts.models import CohortRole, Enrolment, StudyGroup
from discussions import access
from discussions.models import (
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
from notifications.models import NotificationPreference
from notifications.services import absolute_url, email_from_template, notify, unsubscribe_token

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
    recent = Post.objects.filter(author=author, created_at__gt=timezone.now() - window).count()
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
        post = Post.objects.create(
            thread=thread,
            author=author,
            kind=kind,
            is_opening=True,
            body=body,
            idempotency_key=idempotency_key,
        )
        post_mentions_record(post=post)
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
        now = timezone.now()
        post = Post.objects.create(
            thread=thread,
            parent=parent,
            author=author,
            kind=PostKind.COMMENT if parent else PostKind.REPLY,
            body=body,
            created_at=now,
            idempotency_key=idempotency_key,
        )
        Thread.objects.filter(pk=thread.pk).update(
            reply_count=F("reply_count") + 1, last_activity_at=now
        )
        Follow.objects.get_or_create(thread=thread, user=author)
        _notify_followers(thread, post)
        post_mentions_record(post=post)
        return post

    return _once(author, idempotency_key, create)


# Thread interactions: reactions, endorsement, pin and lock, editing and removing posts.


def thread_mark_read(*, thread: Thread, user: User) -> None:
    """Remember that `user` has read the thread up to now (the feed's "new" markers)."""
    # One upsert (INSERT ... ON CONFLICT DO UPDATE on SQLite and PostgreSQL) per page view.
    ReadMarker.objects.bulk_create(
        [ReadMarker(thread=thread, user=user, read_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["thread", "user"],
        update_fields=["read_at"],
    )


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
    if timezone.now() > post.editable_until():
        raise PostingError(
            f"Posts can be edited for {settings.POST_EDIT_WINDOW_MINUTES} minutes after posting; "
            "this one can no longer be changed. Your text is kept below: post it as a new reply "
            "if it still matters."
        )


def post_edit(*, post: Post, user: User, body: str) -> Post:
    check_can_edit(post=post, user=user)
    post.body = body
    post.edited_at = timezone.now()
    post.save(update_fields=["body", "edited_at"])
    post_mentions_record(post=post)
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
        post.removed_at = timezone.now()
        post.save(update_fields=["removed_at"])
    return post


def _notify_followers(thread: Thread, post: Post) -> None:
    follower_ids = Follow.objects.filter(thread=thread).exclude(user=post.author).values("user_id")
    # Followers are re-checked against the space in the same query: someone moved out of a
    # study group (or out of the cohort) keeps the Follow row but hears nothing more.
    followers = (
        access.people_who_see(access.space_of(thread))
        .filter(pk__in=follower_ids)
        .select_related("notification_preference")
    )
    what = "commented in" if post.parent_id else "replied to"
    for follower in followers:
        notify(
            user=follower,
            key=f"reply:{post.pk}",
            title=f"{post.author.name} {what} “{thread.title}”",
            url=f"{thread_url(thread)}#post-{post.pk}",
            email_template="notification",
            email_preference="reply_emails",
        )


def prompt_release(prompt: Prompt) -> list[Thread]:
    """Open the prompt's thread in the cohort space or in every study group; tell each member.

    Safe to run twice: one thread per (prompt, group) and one notification per person and thread.
    """
    cohort = prompt.cohort
    groups = list(cohort.study_groups.all()) if prompt.target == Target.GROUPS else [None]
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
            )
            if prompt.author_id:
                Follow.objects.get_or_create(thread=thread, user_id=prompt.author_id)
        members = Enrolment.objects.filter(cohort=cohort).select_related("user")
        if group is not None:
            members = members.filter(study_group=group)
        for enrolment in members.exclude(user_id=prompt.author_id):
            notify(
                user=enrolment.user,
                key=f"prompt:{prompt.pk}:{thread.pk}",
                title=f"New in {cohort.name}: {prompt.title}",
                url=thread_url(thread),
                email_template="notification",
            )
        threads.append(thread)
    return threads


# Mentions and following.

# `@[Ana Lima]`: the brackets carry names with spaces, and CommonMark leaves a lone `[text]`
# (no link target follows) as literal text, so the syntax survives rendering and can be found
# again in the sanitised HTML. `<`, `>` and newlines never belong to a name.
MENTION_PATTERN = re.compile(r"@\[([^\]\n<>]{1,150})\]")
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


def post_mentions_record(*, post: Post) -> list[User]:
    """Store whom the post mentions among the people who see its thread; notify the new ones.

    Called after a post is written or edited: an edit that adds a mention notifies only the
    added person (one notification per person and post, whatever the number of edits).
    """
    names = mentioned_names(post.body)
    if not names and not post.edited_at:
        return []
    thread = post.thread
    people = [
        person
        for person in mention_candidates(access.space_of(thread), names)
        if person.pk != post.author_id
    ]
    before = set(Mention.objects.filter(post=post).values_list("user_id", flat=True))
    Mention.objects.filter(post=post).exclude(user_id__in=[p.pk for p in people]).delete()
    added = [person for person in people if person.pk not in before]
    Mention.objects.bulk_create([Mention(post=post, user=p) for p in added], ignore_conflicts=True)
    for person in added:
        notify(
            user=person,
            key=f"mention:{post.pk}",
            title=f"{post.author.name} mentioned you in “{thread.title}”",
            url=f"{thread_url(thread)}#post-{post.pk}",
            email_template="notification",
            email_preference="mention_emails",
        )
    return added


def mention_names_by_post(post_ids: list[int]) -> dict[int, set[str]]:
    """The mentioned names of each post (casefolded), in one query, for highlighting."""
    names: dict[int, set[str]] = {}
    if post_ids:
        for post_id, display_name, email in Mention.objects.filter(
            post_id__in=post_ids
        ).values_list("post_id", "user__display_name", "user__email"):
            name = display_name or email.split("@")[0]
            names.setdefault(post_id, set()).add(name.casefold())
    return names


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


# The daily digest: new replies in followed threads and new prompt threads, one email a day.

DIGEST_MAX_DAYS = 7


@dataclass
class DigestItem:
    thread: Thread
    new_replies: int = 0

    @property
    def url(self) -> str:
        return absolute_url(thread_url(self.thread))


@dataclass
class Digest:
    user: User
    followed: list[DigestItem] = field(default_factory=list)
    prompts: list[DigestItem] = field(default_factory=list)

    @property
    def thread_count(self) -> int:
        return len(self.followed) + len(self.prompts)


def _sees(thread: Thread, user_id: int, enrolments: dict, managers: set) -> bool:
    if (user_id, thread.cohort.organization_id) in managers:
        return True
    enrolment = enrolments.get((user_id, thread.cohort_id))
    if enrolment is None:
        return False
    role, group_id = enrolment
    return (
        thread.study_group_id is None
        or role == CohortRole.INSTRUCTOR
        or group_id == thread.study_group_id
    )


def digests_build(*, now: datetime) -> list[Digest]:
    """Everyone's digest, in a fixed number of queries whatever the people, threads or posts.

    Since: each person's last digest (at most DIGEST_MAX_DAYS back), else one day. A followed
    thread counts others' replies after that and after the person last read it (ReadMarker);
    every follower is re-checked against the space, so someone moved out of a study group hears
    nothing of it.
    """
    floor = now - timedelta(days=DIGEST_MAX_DAYS)
    default_since = now - timedelta(days=1)
    switched_off: set[int] = set()
    since: dict[int, datetime] = {}
    for user_id, on, last in NotificationPreference.objects.filter(
        Q(daily_digest=False) | Q(last_digest_at__isnull=False)
    ).values_list("user_id", "daily_digest", "last_digest_at"):
        if not on:
            switched_off.add(user_id)
        elif last:
            since[user_id] = max(last, floor)

    read_at = ReadMarker.objects.filter(thread=OuterRef("thread_id"), user=OuterRef("user_id"))
    follows = list(
        Follow.objects.filter(thread__last_activity_at__gt=floor, thread__removed_at__isnull=True)
        .annotate(read_at=Subquery(read_at.values("read_at")[:1]))
        .values_list("user_id", "thread_id", "read_at")
    )
    follows = [f for f in follows if f[0] not in switched_off]
    threads = {
        t.pk: t
        for t in Thread.objects.visible()
        .filter(Q(pk__in={f[1] for f in follows}) | Q(prompt__isnull=False, created_at__gt=floor))
        .select_related("cohort")
    }
    posts: dict[int, list[tuple[int, datetime]]] = {}
    for thread_id, author_id, created_at in Post.objects.filter(
        thread_id__in=list(threads),
        is_opening=False,
        created_at__gt=floor,
        removed_at__isnull=True,
        hidden_at__isnull=True,
    ).values_list("thread_id", "author_id", "created_at"):
        posts.setdefault(thread_id, []).append((author_id, created_at))
    cohort_ids = {t.cohort_id for t in threads.values()}
    enrolments = {
        (user_id, cohort_id): (role, group_id)
        for user_id, cohort_id, role, group_id in Enrolment.objects.filter(
            cohort_id__in=cohort_ids
        ).values_list("user_id", "cohort_id", "role", "study_group_id")
    }
    managers = set(
        Membership.objects.filter(
            role=Role.MANAGER,
            organization_id__in={t.cohort.organization_id for t in threads.values()},
        ).values_list("user_id", "organization_id")
    )

    digests: dict[int, Digest] = {}

    def digest_of(user_id: int) -> Digest:
        return digests.setdefault(user_id, Digest(user=None))

    for user_id, thread_id, read in follows:
        thread = threads.get(thread_id)
        if thread is None or not _sees(thread, user_id, enrolments, managers):
            continue
        after = max(since.get(user_id, default_since), read or floor)
        new = sum(1 for author, at in posts.get(thread_id, []) if author != user_id and at > after)
        if new:
            digest_of(user_id).followed.append(DigestItem(thread, new))
    followed_pairs = {(user_id, thread_id) for user_id, thread_id, _ in follows}
    prompt_threads = [t for t in threads.values() if t.prompt_id]
    for (user_id, cohort_id), _ in enrolments.items():
        if user_id in switched_off:
            continue
        for thread in prompt_threads:
            if (
                thread.cohort_id == cohort_id
                and thread.author_id != user_id
                and thread.created_at > since.get(user_id, default_since)
                and (user_id, thread.pk) not in followed_pairs
                and _sees(thread, user_id, enrolments, managers)
            ):
                digest_of(user_id).prompts.append(DigestItem(thread))

    for user in User.objects.filter(pk__in=list(digests), is_active=True):
        digests[user.pk].user = user
    return [d for d in digests.values() if d.user is not None]


def digest_send(*, digest: Digest, today: date) -> None:
    user = digest.user
    unsubscribe_url = absolute_url(
        reverse("notifications:unsubscribe", args=[unsubscribe_token(user)])
    )
    email_from_template(
        key=f"digest:{user.pk}:{today.isoformat()}",
        user=user,
        to_email=user.email,
        template="digest",
        context={
            "digest": digest,
            "unsubscribe_url": unsubscribe_url,
            "preferences_url": absolute_url(reverse("notifications:preferences")),
        },
        # RFC 8058: mail providers show an unsubscribe button and POST to the link themselves.
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def digests_send(*, now: datetime) -> int:
    """Send today's digests; a second run the same day sends nothing again (outbox key)."""
    digests = digests_build(now=now)
    today = timezone.localdate(now)
    for digest in digests:
        digest_send(digest=digest, today=today)
    NotificationPreference.objects.bulk_create(
        [NotificationPreference(user=d.user, last_digest_at=now) for d in digests],
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["last_digest_at"],
    )
    return len(digests)
