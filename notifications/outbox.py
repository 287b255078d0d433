"""The email outbox: every email is a row, sent in batches over one SMTP connection each.

A message's row is marked sent in its own short commit right after the SMTP server accepted it,
never inside a long transaction: if the database connection is lost mid-batch, at most the
message in flight goes out again, and it carries the same Message-ID (built from its idempotency
key), so the receiving server can drop the repeat.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from email.header import Header
from email.utils import formatdate, parseaddr
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address
from django.db import DatabaseError, transaction
from django.db import connection as db
from django.db.models import QuerySet

from notifications import scheduling
from notifications.models import OutboxMessage
from notifications.scheduling import DueStatus
from socialtraining import clock

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

# How many messages a run sends between renewals of its lease on the rest of its batch.
RENEW_EVERY = 100


@lru_cache(maxsize=4)
def _sender(from_email: str) -> tuple[str, str]:
    """(envelope address, its domain) of the configured sender."""
    address = _address(parseaddr(from_email)[1])
    return address, address.rpartition("@")[2] or "localhost"


def message_id(key: str) -> str:
    """A Message-ID that is the same every time the same outbox message is sent."""
    domain = _sender(settings.DEFAULT_FROM_EMAIL)[1]
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


@transaction.atomic
def outbox_enqueue_many(messages: list[dict]) -> int:
    """Put emails in the outbox in one insert, once per key; they go out after commit.

    Each message is a dict of `key`, `to_email`, `subject`, `body_text` and optionally
    `body_html`, `headers` and `user` (or `user_id`). Returns how many were new.
    """
    if not messages:
        return 0
    now = clock.now()
    keys = [m["key"] for m in messages]
    known = set(
        OutboxMessage.objects.filter(idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
    )
    new = [m for m in messages if m["key"] not in known]
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                idempotency_key=m["key"],
                to_email=m["to_email"],
                subject=m["subject"][:300],
                body_text=m["body_text"],
                body_html=m.get("body_html", ""),
                user_id=m["user"].pk if m.get("user") else m.get("user_id"),
                headers=m.get("headers") or {},
                due_at=now,
            )
            for m in new
        ],
        batch_size=1000,
        # A concurrent run with the same keys: one row each.
        ignore_conflicts=True,
    )
    if new:
        scheduling.kick("outbox")
    return len(new)


def outbox_enqueue(
    *,
    key: str,
    to_email: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    user: User | None = None,
    headers: dict[str, str] | None = None,
) -> int:
    """Put one email in the outbox, once per key (a sign-in code, an invitation)."""
    return outbox_enqueue_many(
        [
            {
                "key": key,
                "to_email": to_email,
                "subject": subject,
                "body_text": body_text,
                "body_html": body_html,
                "user": user,
                "headers": headers,
            }
        ]
    )


def email_of(message: OutboxMessage) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        to=[message.to_email],
        headers={
            **message.headers,
            "Message-ID": message_id(message.idempotency_key),
            "X-Outbox-Key": message.idempotency_key,
        },
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    return email


@contextmanager
def mail_connection() -> Iterator:
    """One connection for a batch: an SMTP session opened once, or the configured backend."""
    connection = mailers.default
    if isinstance(connection, SmtpBackend):
        connection.open()
        try:
            yield connection
        finally:
            connection.close()
    else:
        yield connection


def _address(value: str) -> str:
    """An address the SMTP server takes: plain ASCII as it is (almost all of them), otherwise
    the domain in IDNA and the name encoded (Django's sanitize_address, which is slow)."""
    return value if value.isascii() else sanitize_address(value, "utf-8")


def _header(value: str) -> str:
    """A header value as 7-bit text: RFC 2047 encoded words when it is not plain ASCII."""
    return value if value.isascii() else Header(value, "utf-8").encode()


def _base64_lines(text: str) -> str:
    return base64.encodebytes(text.encode()).decode().replace("\n", "\r\n")


def message_bytes(message: OutboxMessage) -> bytes:
    """The message exactly as the SMTP server receives it, written out directly (UTF-8 parts in
    base64, CRLF line ends): building it through the email package's objects costs more than
    sending it, at a rate of a thousand messages a second."""
    headers = {
        "From": _header(settings.DEFAULT_FROM_EMAIL),
        "To": _address(message.to_email),
        "Subject": _header(message.subject),
        "Date": formatdate(clock.now().timestamp(), usegmt=True),
        "Message-ID": message_id(message.idempotency_key),
        "X-Outbox-Key": message.idempotency_key,
        **{name: _header(value) for name, value in message.headers.items()},
        "MIME-Version": "1.0",
    }
    text = _base64_lines(message.body_text)
    if message.body_html:
        boundary = "=_" + hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:24]
        headers["Content-Type"] = f'multipart/alternative; boundary="{boundary}"'
        body = (
            f"--{boundary}\r\n{PART.format(kind='plain')}{text}"
            f"--{boundary}\r\n{PART.format(kind='html')}{_base64_lines(message.body_html)}"
            f"--{boundary}--\r\n"
        )
    else:
        headers["Content-Type"] = 'text/plain; charset="utf-8"'
        headers["Content-Transfer-Encoding"] = "base64"
        body = text
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"{head}\r\n{body}".encode("ascii")


PART = 'Content-Type: text/{kind}; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'


def _send(connection, message: OutboxMessage) -> None:
    if not isinstance(connection, SmtpBackend):
        # Files, the console, Django's test outbox: their own way of writing a message.
        connection.send_messages([email_of(message)])
        return
    sender = _sender(settings.DEFAULT_FROM_EMAIL)[0]
    recipient = _address(message.to_email)
    data = message_bytes(message)
    try:
        _transaction(connection.connection, sender, recipient, data)
    except smtplib.SMTPServerDisconnected:
        # The server dropped the connection before this message: one fresh connection, once.
        connection.close()
        connection.open()
        _transaction(connection.connection, sender, recipient, data)


def _transaction(smtp: smtplib.SMTP, sender: str, recipient: str, data: bytes) -> None:
    """One mail transaction (MAIL, RCPT, DATA) for addresses already in their SMTP form: what
    smtplib's sendmail does, without parsing both addresses again for every message."""
    smtp.ehlo_or_helo_if_needed()
    smtp.putcmd("mail", f"FROM:<{sender}>")
    code, reply = smtp.getreply()
    if code != 250:
        _reset(smtp)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    smtp.putcmd("rcpt", f"TO:<{recipient}>")
    code, reply = smtp.getreply()
    if code not in (250, 251):
        _reset(smtp)
        raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
    code, reply = smtp.data(data)
    if code != 250:
        _reset(smtp)
        raise smtplib.SMTPDataError(code, reply)


def _reset(smtp: smtplib.SMTP) -> None:
    with suppress(smtplib.SMTPServerDisconnected):
        smtp.rset()


def _refused_for_good(error: Exception) -> bool | None:
    """A refusal of this one message: True if permanent (5xx for its recipient or its content),
    False if the server asks to try it later (4xx); None when the refusal is not about this
    message (the sender refused, the server in a bad state): the batch waits and tries again."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPDataError):
        return error.smtp_code >= 500
    return None


@contextmanager
def _commits_without_waiting_for_disk() -> Iterator[None]:
    """Each sent message is committed on its own, a thousand commits a second: PostgreSQL's
    asynchronous commit lets them return before the WAL reaches the disk. A worker killed or a
    connection lost still finds every commit; only a crash of the database server itself could
    forget the last fraction of a second of them, and those few messages would go again, with
    the same Message-ID."""
    if db.vendor != "postgresql":
        yield
        return
    with db.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        with suppress(DatabaseError), db.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def outbox_send_batch(messages: QuerySet[OutboxMessage], token: str) -> int:
    """Send a taken batch over one connection; each message's row commits as soon as it is sent.

    A message the server refuses for itself (bad recipient) fails alone; a connection that
    cannot be made or is lost raises, and the engine puts the unsent rest back after a backoff.
    """
    kind = scheduling.due_kind("outbox")
    sent = 0
    with mail_connection() as connection, _commits_without_waiting_for_disk():
        for index, message in enumerate(list(messages)):
            try:
                _send(connection, message)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as error:
                permanent = _refused_for_good(error)
                if permanent is None:
                    raise
                logger.warning("outbox %s refused: %s", message.pk, error)
                if permanent:
                    OutboxMessage.objects.filter(pk=message.pk, run_token=token).update(
                        status=DueStatus.FAILED,
                        claimed_until=None,
                        run_token="",
                        last_error=f"{type(error).__name__}: {error}"[:2000],
                    )
                else:
                    scheduling.release_rows(kind, token=token, ids=[message.pk], error=error)
                continue
            # Autocommit: this message is recorded as sent before the next one goes.
            sent += scheduling.finish_row(kind, token=token, pk=message.pk)
            if index % RENEW_EVERY == RENEW_EVERY - 1:
                scheduling.renew_lease(kind, token)
    return sent
