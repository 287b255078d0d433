"""Reacting to posts and endorsing replies."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from accounts.models import User
from discussions.models import Post, Reaction, ReactionKind, Thread
from discussions.permissions import PostPermissions
from discussions.posting import PostingError


def check_can_react(*, post: Post, user: User) -> None:
    if refusal := PostPermissions(post, user).react_refusal():
        raise PostingError(refusal)


@transaction.atomic
def reaction_set(*, post: Post, user: User, kind: str, on: bool) -> None:
    """Add (`on`) or take back `user`'s reaction of `kind`; a resent form changes nothing more.

    The thread's reaction_count moves with it, so the feed can sort by reactions without counting.
    """
    if kind not in ReactionKind.values:
        raise PostingError("Choose like, learned something or useful.")
    check_can_react(post=post, user=user)
    if on:
        _, changed = Reaction.objects.get_or_create(post=post, user=user, kind=kind)
    else:
        changed, _ = Reaction.objects.filter(post=post, user=user, kind=kind).delete()
    if changed:
        step = 1 if on else -1
        Thread.objects.filter(pk=post.thread_id).update(reaction_count=F("reaction_count") + step)


def post_endorse(*, post: Post, by: User, endorsed: bool) -> Post:
    """Endorse a reply as `by` (an instructor or manager: the caller checks), or withdraw it."""
    if refusal := PostPermissions(post, by, may_moderate=True).endorse_refusal():
        raise PostingError(refusal)
    if endorsed != bool(post.endorsed_by_id):
        post.endorsed_by = by if endorsed else None
        post.save(update_fields=["endorsed_by"])
    return post
