"""Following threads and the read markers of the feed."""

from __future__ import annotations

from accounts.models import User
from discussions.fanout import thread_topic
from discussions.models import Follow, ReadMarker, Thread
from notifications.services import notifications_mark_topic_read
from socialtraining import clock


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


def thread_follow(*, thread: Thread, user: User, on: bool) -> bool:
    """Follow (`on`) or stop following; a resent form changes nothing more."""
    if on:
        Follow.objects.get_or_create(thread=thread, user=user)
    else:
        Follow.objects.filter(thread=thread, user=user).delete()
    return on


def thread_is_followed(*, thread: Thread, user: User) -> bool:
    return Follow.objects.filter(thread=thread, user=user).exists()
