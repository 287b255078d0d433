"""Mentions: whom a post names with `@[Name]`, their Mention rows and notifications, suggestions."""

from __future__ import annotations

from django.db.models import Q

from accounts.models import User
from cohorts.access import people_who_see
from discussions import access
from discussions.fanout import post_excerpt, post_notice
from discussions.models import Mention, Post, Thread
from discussions.rendering import MENTION_PATTERN
from notifications.models import EmailKind
from notifications.services import notify_many

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
    people = (
        people_who_see(space.cohort, space.study_group)
        .filter(by_name)
        .select_related("notification_preference")
    )
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
                post_notice(
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
    people = people_who_see(space.cohort, space.study_group).exclude(pk=exclude.pk)
    if prefix:
        people = people.filter(
            Q(display_name__istartswith=prefix)
            | Q(display_name__icontains=f" {prefix}")
            | Q(display_name="", email__istartswith=prefix)
        )
    return list(people.order_by("display_name", "email")[:8])
