from __future__ import annotations

import smtplib
import threading
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ObjectDoesNotExist
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from notifications.models import Notification, NotificationPreference, OutboxMessage
from notifications.scheduling import DueStatus
from socialtraining import clock

if TYPE_CHECKING:
    # notifications knows people through AUTH_USER_MODEL; it never imports accounts at run time.
    from accounts.models import User


def site_path(url: str) -> str:
    """A link for a notification: a path on this site, never another scheme or host."""
    if url and (not url.startswith("/") or url.startswith("//") or "\\" in url):
        raise ValueError(f"Notification links must be paths on this site, not {url!r}.")
    return url


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{site_path(path)}" if path else ""


@transaction.atomic
def outbox_enqueue(
    *,
    key: str,
    to_email: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    user: User | None = None,
    due_at=None,
    headers: dict[str, str] | None = None,
) -> OutboxMessage:
    """Put one email in the outbox, once per key, and send it after the transaction commits."""
    message, created = OutboxMessage.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "to_email": to_email,
            "subject": subject,
            "body_text": body_text,
            "body_html": body_html,
            "user": user,
            "due_at": due_at or clock.now(),
            "headers": headers or {},
        },
    )
    if created and message.due_at <= clock.now():
        from notifications.tasks import send_outbox_message

        # robust: with the broker down the row is committed and the sweep sends it, so the
        # caller's request must not fail after its data is saved.
        transaction.on_commit(lambda: send_outbox_message.delay("outbox", message.pk), robust=True)
    return message


def email_render(*, template: str, context: dict, user: User | None) -> dict[str, str]:
    """`notifications/email/<template>.{subject.txt,txt,html}` rendered: subject and both bodies."""
    context = {"site_url": settings.SITE_URL, "recipient": user, **context}
    base = f"notifications/email/{template}"
    subject = render_to_string(f"{base}.subject.txt", context).strip()
    return {
        "subject": settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
        "body_text": render_to_string(f"{base}.txt", context),
        "body_html": render_to_string(f"{base}.html", context),
    }


def email_from_template(
    *,
    key: str,
    user: User | None,
    to_email: str,
    template: str,
    context: dict,
    headers: dict[str, str] | None = None,
) -> OutboxMessage:
    """Render `notifications/email/<template>.{subject,txt,html}` and put it in the outbox."""
    return outbox_enqueue(
        key=key,
        to_email=to_email,
        user=user,
        headers=headers,
        **email_render(template=template, context=context, user=user),
    )


@transaction.atomic
def outbox_enqueue_many(messages: list[dict]) -> int:
    """Put many emails in the outbox in two queries, once per key; send them after commit.

    Each message is a dict of `key`, `to_email`, `subject`, `body_text` and optionally
    `body_html`, `headers` and `user`. For writes of thousands (a roster import's invitations,
    the daily digests) that must commit with the rows they announce.
    """
    if not messages:
        return 0
    now = clock.now()
    keys = [m["key"] for m in messages]
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                idempotency_key=m["key"],
                to_email=m["to_email"],
                subject=m["subject"],
                body_text=m["body_text"],
                body_html=m.get("body_html", ""),
                user=m.get("user"),
                headers=m.get("headers") or {},
                due_at=now,
            )
            for m in messages
        ],
        ignore_conflicts=True,
    )
    ids = list(
        OutboxMessage.objects.filter(
            idempotency_key__in=keys, status=DueStatus.PENDING, attempts=0
        ).values_list("pk", flat=True)
    )
    from notifications.tasks import send_outbox_message

    def enqueue() -> None:
        for pk in ids:
            send_outbox_message.delay("outbox", pk)

    # robust: with the broker down the rows are committed and the sweep sends them.
    transaction.on_commit(enqueue, robust=True)
    return len(ids)


def outbox_deliver(message: OutboxMessage) -> None:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        to=[message.to_email],
        headers={**message.headers, "X-Outbox-Key": message.idempotency_key},
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    _send_reusing_connection(email)


# One SMTP connection per worker process (per thread), kept open across messages: opening one per
# message (TCP, EHLO, STARTTLS, AUTH, QUIT) costs more than sending the message itself.
_smtp = threading.local()


def _send_reusing_connection(email: EmailMultiAlternatives) -> None:
    from django.core.mail import mailers
    from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

    connection = getattr(_smtp, "connection", None)
    if connection is None:
        connection = mailers.default
        if not isinstance(connection, SmtpBackend):
            # Files, console, locmem in tests: nothing to keep open.
            connection.send_messages([email])
            return
        connection.open()
        _smtp.connection = connection
    try:
        connection.send_messages([email])
    except smtplib.SMTPServerDisconnected:
        # The server dropped the idle connection before this message: a fresh one, sent once.
        connection.close()
        connection.open()
        connection.send_messages([email])


def notify(
    *,
    user: User,
    key: str,
    title: str,
    body: str = "",
    url: str = "",
    email_template: str | None = None,
    email_context: dict | None = None,
    email_preference: str | None = None,
) -> Notification | None:
    """Notify one person of one event, in-app and optionally by email, at most once per key.

    Both rows are written in one transaction, so a failure leaves neither and a retry sends both.
    `email_preference` names the NotificationPreference field that must be on for the email
    ("mention_emails", "reply_emails"); the in-app notification is always written.
    """
    if email_preference and not preferences_of(user).wants(email_preference):
        email_template = None
    url = site_path(url)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user, key=key, title=title, body=body, url=url
            )
            if email_template:
                email_from_template(
                    key=f"notify:{user.pk}:{key}",
                    user=user,
                    to_email=user.email,
                    template=email_template,
                    context={
                        "title": title,
                        "body": body,
                        "url": absolute_url(url),
                        **(email_context or {}),
                    },
                )
    except IntegrityError:
        return None
    return notification


def notifications_mark_read(*, user: User, notification_id: int | None = None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=clock.now())


# Preferences and the digest's one-click unsubscribe.

UNSUBSCRIBE_SALT = "notifications.unsubscribe-digest"


def preferences_of(user: User) -> NotificationPreference:
    """The person's preferences, or unsaved defaults when they never changed any.

    Uses the row already loaded by `select_related("notification_preference")` when there is
    one, so callers that notify many people load everyone's preferences in their own query.
    """
    try:
        return user.notification_preference
    except ObjectDoesNotExist:
        return NotificationPreference(user=user)


def preferences_update(*, user: User, **choices: bool) -> NotificationPreference:
    preferences, _ = NotificationPreference.objects.update_or_create(user=user, defaults=choices)
    return preferences


def unsubscribe_token(user: User) -> str:
    # Salted, so a token signed for anything else on the site never unsubscribes anyone.
    return signing.dumps(user.pk, salt=UNSUBSCRIBE_SALT)


class UnsubscribeLinkExpired(Exception):
    pass


def user_from_unsubscribe_token(token: str) -> int | None:
    """The person's id; None for a changed, truncated or foreign token or a deleted account.

    Raises UnsubscribeLinkExpired for a genuine link older than UNSUBSCRIBE_LINK_MAX_AGE.
    """
    try:
        user_id = signing.loads(
            token, salt=UNSUBSCRIBE_SALT, max_age=settings.UNSUBSCRIBE_LINK_MAX_AGE
        )
    except signing.SignatureExpired as error:
        raise UnsubscribeLinkExpired from error
    except signing.BadSignature:
        return None
    if not isinstance(user_id, int) or not get_user_model().objects.filter(pk=user_id).exists():
        return None
    return user_id


def digest_unsubscribe(*, user_id: int) -> None:
    NotificationPreference.objects.update_or_create(
        user_id=user_id, defaults={"daily_digest": False}
    )
