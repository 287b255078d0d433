"""Following threads, the read markers of the feed, and what is new for a participant."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import User
from discussions.access import threads_of_participant
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


# New threads listed on the home page and the cohort's overview; the feed has them all.
WAITING_SHOWN = 10


def threads_waiting_for(user: User) -> QuerySet[Thread]:
    """Threads with something new for a participant, latest activity first: never opened (a new
    prompt, someone else's new thread) or with others' posts since their last visit."""
    return (
        threads_of_participant(user)
        .select_related("cohort", "study_group")
        .with_unread_for(user)
        .filter((Q(read_at__isnull=True) & ~Q(author=user)) | Q(new_posts__gt=0))
        .order_by("-last_activity_at", "-pk")
    )
