"""Emails that gather many notifications: the hourly bundle and the daily digest.

Both list each topic (a thread) once, with who wrote what in it (an excerpt of each new post),
and leave out what the person has already read in the app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from notifications.emails import EmailTemplate, absolute_url
from notifications.models import EmailMode, Job, Notification, NotificationPreference
from notifications.outbox import outbox_enqueue_many
from notifications.services import (
    BUNDLE,
    DIGEST,
    unsubscribe_headers,
    unsubscribe_label,
    unsubscribe_url,
)
from socialtraining import clock

# Chunks of people whose digests are written in one go.
DIGEST_CHUNK = 500


@dataclass
class Topic:
    title: str
    url: str
    items: list[Notification] = field(default_factory=list)

    @property
    def authors(self) -> list[str]:
        return sorted({item.actor_name for item in self.items if item.actor_name})


def topics_of(notifications: list[Notification]) -> list[Topic]:
    """Notifications grouped by topic in order of first appearance; one without a topic stands
    alone, with its own title and link."""
    topics: dict[str, Topic] = {}
    for notification in notifications:
        key = notification.topic_key or f"notification:{notification.pk}"
        topic = topics.get(key)
        if topic is None:
            title = notification.topic_title or notification.title
            url = notification.url.split("#", 1)[0] if notification.topic_key else notification.url
            topic = topics[key] = Topic(title=title, url=absolute_url(url))
        topic.items.append(notification)
    return list(topics.values())


def _gathered_email(*, user, template: str, key: str, kind: str, context: dict) -> dict:
    url = unsubscribe_url(user, kind)
    return {
        "key": key,
        "user": user,
        "to_email": user.email,
        "headers": unsubscribe_headers(url),
        **EmailTemplate(template, {**context, "kind_label": unsubscribe_label(kind)}).fill(
            {"recipient_name": user.name, "unsubscribe_url": url}
        ),
    }


def _notifications_to_email(users: dict, mode: str) -> tuple[list[int], dict]:
    """What waits for an email in `mode` for `users` (by id): the ids of every such notification,
    all handled now, and for each person who can get an email the ones they have not read."""
    rows = Notification.objects.filter(
        user_id__in=list(users), email_mode=mode, emailed_at__isnull=True
    ).order_by("user_id", "created_at", "pk")
    handled, unread_by_user = [], {}
    for user_id, items in groupby(rows, key=lambda n: n.user_id):
        items = list(items)
        handled.extend(item.pk for item in items)
        user = users[user_id]
        unread = [item for item in items if item.read_at is None]
        if unread and user.is_active and user.email:
            unread_by_user[user] = unread
    return handled, unread_by_user


def _gathered_emails_send(
    users: dict, *, mode: str, template: str, kind: str, key: Callable, now: datetime
) -> tuple[int, dict]:
    """One `template` email to each of `users` (by id) gathering what waited for them in `mode`,
    keyed `key(user, unread)`; every such notification counts as emailed now. Returns how many
    emails were enqueued and, for each person emailed, what waited for them."""
    handled, waiting = _notifications_to_email(users, mode)
    messages = []
    for user, unread in waiting.items():
        topics = topics_of(unread)
        messages.append(
            _gathered_email(
                user=user,
                template=template,
                key=key(user, unread),
                kind=kind,
                context={"topics": topics, "count": len(unread), "topic_count": len(topics)},
            )
        )
    sent = outbox_enqueue_many(messages)
    Notification.objects.filter(pk__in=handled).update(emailed_at=now)
    return sent, waiting


def bundles_send(jobs: list[Job]) -> dict[int, datetime]:
    """Work of the `email_bundle` jobs: each person's bundled notifications in one email.

    Runs with the jobs locked, so a notification arriving meanwhile re-arms the job once this
    commits (see `jobs_schedule`) and is in the next bundle, an hour later.
    """
    now = clock.now()
    _gathered_emails_send(
        get_user_model().objects.in_bulk([job.target_id for job in jobs]),
        mode=EmailMode.BUNDLED,
        template="bundle",
        kind=BUNDLE,
        key=lambda user, unread: f"bundle:{user.pk}:{unread[0].pk}",
        now=now,
    )
    return {}


@transaction.atomic
def digests_send() -> int:
    """Beat, daily: one email per person with what waited for their digest since the last one.

    A second run the same day sends nothing again (the outbox key is per person and date).
    """
    now = clock.now()
    today = timezone.localtime(now).date()
    user_ids = sorted(
        set(
            Notification.objects.filter(
                email_mode=EmailMode.DAILY, emailed_at__isnull=True
            ).values_list("user_id", flat=True)
        )
    )
    sent = 0
    for start in range(0, len(user_ids), DIGEST_CHUNK):
        chunk_sent, waiting = _gathered_emails_send(
            get_user_model().objects.in_bulk(user_ids[start : start + DIGEST_CHUNK]),
            mode=EmailMode.DAILY,
            template="digest",
            kind=DIGEST,
            key=lambda user, unread: f"digest:{user.pk}:{today.isoformat()}",
            now=now,
        )
        sent += chunk_sent
        NotificationPreference.objects.bulk_create(
            [NotificationPreference(user=user, last_digest_at=now) for user in waiting],
            update_conflicts=True,
            unique_fields=["user"],
            update_fields=["last_digest_at"],
        )
    return sent
