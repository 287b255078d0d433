"""Telling people: in-app notifications always, email as each person chose per kind.

`notify_many` tells many people at once in a handful of queries whatever their number: one
insert of notifications, one of outbox rows for those who want each email immediately, and the
hourly bundle jobs of those who want them bundled; a daily digest collects the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction

from notifications.emails import EmailTemplate, absolute_url, path_for, site_path
from notifications.jobs import jobs_schedule
from notifications.models import (
    EmailKind,
    EmailMode,
    Notification,
    NotificationPreference,
)
from notifications.outbox import outbox_enqueue_many
from socialtraining import clock, clock_signing

if TYPE_CHECKING:
    # notifications knows people through AUTH_USER_MODEL; it never imports accounts at run time.
    from accounts.models import User

__all__ = ["absolute_url", "site_path"]

BUNDLE_JOB = "email_bundle"


@dataclass
class Notice:
    """One event told to one person. `email` renders the immediate email (shared by many notices,
    rendered once); `values` are this person's own slots in it (their signed links)."""

    user: User
    key: str
    kind: str
    title: str
    body: str = ""
    url: str = ""
    topic_key: str = ""
    topic_title: str = ""
    actor_name: str = ""
    excerpt: str = ""
    email: EmailTemplate | None = None
    values: dict[str, str] = field(default_factory=dict)


# Preferences


def preferences_of(user: User) -> NotificationPreference:
    """The person's preferences, or unsaved defaults when they never changed any.

    Uses the row already loaded by `select_related("notification_preference")` when there is one.
    """
    try:
        return user.notification_preference
    except NotificationPreference.DoesNotExist:
        return NotificationPreference(user=user)


def _preferences_for(users: Iterable[User]) -> dict[int, NotificationPreference]:
    """Everyone's preferences in at most one query (none when the caller loaded them)."""
    found: dict[int, NotificationPreference] = {}
    missing = []
    cached = get_user_model().notification_preference.is_cached
    for user in users:
        if cached(user):
            found[user.pk] = preferences_of(user)
        else:
            missing.append(user)
    if missing:
        rows = NotificationPreference.objects.filter(user_id__in={u.pk for u in missing})
        by_user = {row.user_id: row for row in rows}
        for user in missing:
            found[user.pk] = by_user.get(user.pk) or NotificationPreference(user_id=user.pk)
    return found


def preferences_update(*, user: User, **modes: str) -> NotificationPreference:
    allowed = set(NotificationPreference.FIELDS.values())
    if not set(modes) <= allowed or not set(modes.values()) <= set(EmailMode.values):
        raise ValueError(f"Unknown email preferences: {modes!r}")
    preferences, _ = NotificationPreference.objects.update_or_create(user=user, defaults=modes)
    return preferences


# Unsubscribe links: one per person and kind, signed, usable without signing in.

UNSUBSCRIBE_SALT = "notifications.unsubscribe-digest"
# Besides one kind, a link may stop the daily digest or the hourly bundles as a whole.
DIGEST = "digest"
BUNDLE = "bundle"
GATHERED = {DIGEST: EmailMode.DAILY, BUNDLE: EmailMode.BUNDLED}


def unsubscribe_token(user: User, kind: str = DIGEST) -> str:
    # Salted, so a token signed for anything else on the site never unsubscribes anyone.
    return clock_signing.dumps([user.pk, kind], salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(user: User, kind: str) -> str:
    return absolute_url(path_for("notifications:unsubscribe", unsubscribe_token(user, kind)))


class UnsubscribeLinkExpired(Exception):
    pass


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """(person, kind); None for a changed, truncated or foreign token or a deleted account.

    Raises UnsubscribeLinkExpired for a genuine link older than UNSUBSCRIBE_LINK_MAX_AGE. Links
    from before kinds existed carry only the person and mean the daily digest.
    """
    try:
        data = clock_signing.loads(
            token, salt=UNSUBSCRIBE_SALT, max_age=settings.UNSUBSCRIBE_LINK_MAX_AGE
        )
    except signing.SignatureExpired as error:
        raise UnsubscribeLinkExpired from error
    except signing.BadSignature:
        return None
    if isinstance(data, int):
        data = [data, DIGEST]
    if not (isinstance(data, list) and len(data) == 2 and isinstance(data[0], int)):
        return None
    user_id, kind = data
    if kind not in GATHERED and kind not in EmailKind.values:
        return None
    if not get_user_model().objects.filter(pk=user_id).exists():
        return None
    return user_id, kind


def unsubscribe_label(kind: str) -> str:
    if kind == DIGEST:
        return "the daily digest"
    if kind == BUNDLE:
        return "bundled emails"
    return EmailKind(kind).label.split(":")[0].lower()


def email_unsubscribe(*, user_id: int, kind: str) -> None:
    """No more emails of this kind (the digest or the bundles: of every kind they gather); the
    in-app notifications stay."""
    preferences, _ = NotificationPreference.objects.get_or_create(user_id=user_id)
    if kind in GATHERED:
        mode = GATHERED[kind]
        fields = [f for f in preferences.FIELDS.values() if getattr(preferences, f) == mode]
    else:
        fields = [preferences.FIELDS[EmailKind(kind)]]
    for name in fields:
        setattr(preferences, name, EmailMode.NEVER)
    preferences.save(update_fields=fields)


def unsubscribe_headers(url: str) -> dict[str, str]:
    # RFC 8058: mail providers show an unsubscribe button and POST to the link themselves.
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


# Notifying


def _default_email(notice: Notice) -> EmailTemplate:
    return EmailTemplate(
        "notification",
        {
            "title": notice.title,
            "body": notice.body,
            "url": absolute_url(notice.url),
            "excerpt": notice.excerpt,
            "kind_label": unsubscribe_label(notice.kind),
        },
    )


@transaction.atomic
def notify_many(notices: list[Notice]) -> list[Notice]:
    """Tell each person of one event each, at most once per (person, key); return the new ones.

    In-app always. By email as each person's preference for the notice's kind says: immediately
    (one outbox insert for all), bundled (their hourly bundle job is armed), in the daily digest,
    or never. A handful of queries whatever the number of people; sent after commit.
    """
    if not notices:
        return []
    for notice in notices:
        notice.url = site_path(notice.url)
    known = set(
        Notification.objects.filter(
            user_id__in={n.user.pk for n in notices}, key__in={n.key for n in notices}
        ).values_list("user_id", "key")
    )
    fresh: dict[tuple[int, str], Notice] = {}
    for notice in notices:
        fresh.setdefault((notice.user.pk, notice.key), notice)
    new = [n for pair, n in fresh.items() if pair not in known]
    if not new:
        return []
    preferences = _preferences_for(n.user for n in new)
    now = clock.now()
    modes = {id(n): preferences[n.user.pk].mode_for(n.kind) for n in new}
    immediate = [n for n in new if modes[id(n)] == EmailMode.IMMEDIATELY and n.user.email]
    Notification.objects.bulk_create(
        [
            Notification(
                user=n.user,
                key=n.key,
                kind=n.kind,
                title=n.title[:200],
                body=n.body,
                url=n.url,
                topic_key=n.topic_key,
                topic_title=n.topic_title[:300],
                actor_name=n.actor_name[:200],
                excerpt=n.excerpt,
                email_mode=modes[id(n)],
                emailed_at=now if modes[id(n)] == EmailMode.IMMEDIATELY else None,
                created_at=now,
            )
            for n in new
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    messages = []
    defaults: dict[tuple, EmailTemplate] = {}
    for notice in immediate:
        template = notice.email
        if template is None:
            key = (notice.kind, notice.title, notice.body, notice.url, notice.excerpt)
            template = defaults.get(key) or defaults.setdefault(key, _default_email(notice))
        unsubscribe = unsubscribe_url(notice.user, notice.kind)
        values = {
            "recipient_name": notice.user.name,
            "unsubscribe_url": unsubscribe,
            **notice.values,
        }
        messages.append(
            {
                "key": f"notify:{notice.user.pk}:{notice.key}",
                "user": notice.user,
                "to_email": notice.user.email,
                "headers": unsubscribe_headers(unsubscribe),
                "template": template,
                "values": values,
            }
        )
    outbox_enqueue_many(messages)
    bundled = {n.user.pk for n in new if modes[id(n)] == EmailMode.BUNDLED}
    if bundled:
        jobs_schedule(
            kind=BUNDLE_JOB,
            target_ids=bundled,
            due_at=now + timedelta(minutes=settings.EMAIL_BUNDLE_DELAY_MINUTES),
            not_before_last_plus=timedelta(minutes=settings.EMAIL_BUNDLE_EVERY_MINUTES),
        )
    return new


def notify(
    *,
    user: User,
    key: str,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    **extra,
) -> Notification | None:
    """Tell one person of one event (see `notify_many`); None if they were told already."""
    new = notify_many(
        [Notice(user=user, key=key, kind=kind, title=title, body=body, url=url, **extra)]
    )
    if not new:
        return None
    return Notification.objects.get(user=user, key=key)


def notifications_mark_read(*, user: User, notification_id: int | None = None) -> int:
    unread = Notification.objects.unread_by(user)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=clock.now())


def notifications_mark_topic_read(*, user: User, topic_key: str) -> int:
    """Seen on the page itself (a thread read): its notifications are read, and no bundle or
    digest will email them again."""
    unread = Notification.objects.unread_by(user).filter(topic_key=topic_key)
    return unread.update(read_at=clock.now())
