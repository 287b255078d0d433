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
import re
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
from notifications.emails import EmailTemplate
from notifications.models import OutboxMessage, OutboxTemplate
from notifications.scheduling import DueStatus
from socialtraining import clock

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

# A run renews its lease on the rest of its batch when this share of the lease has passed: never
# in a batch that goes out in seconds, every 100 s (of the 300 s lease) behind a slow server.
RENEW_AFTER_SHARE = 1 / 3


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

    Each message is a dict of `key`, `to_email` and either its own `subject`, `body_text` and
    optionally `body_html`, or a shared `template` (an `EmailTemplate`, stored once for all the
    messages that name it) with this message's `values`; optionally `headers` and `user` (or
    `user_id`). Returns how many were new.
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
    stored = _templates_store([m["template"] for m in new if m.get("template")])
    rows = []
    for m in new:
        template = m.get("template")
        if template:
            content = {
                "subject": template.fill_subject(m["values"]),
                "template_id": stored[id(template)],
                "values": m["values"],
            }
        else:
            content = {name: m.get(name, "") for name in ("subject", "body_text", "body_html")}
        content["subject"] = content["subject"][:300]
        rows.append(
            OutboxMessage(
                idempotency_key=m["key"],
                to_email=m["to_email"],
                user_id=m["user"].pk if m.get("user") else m.get("user_id"),
                headers=m.get("headers") or {},
                due_at=now,
                **content,
            )
        )
    # A concurrent run with the same keys: one row each.
    OutboxMessage.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    if new:
        scheduling.kick("outbox")
    return len(new)


def _templates_store(templates: list[EmailTemplate]) -> dict[int, int]:
    """Store each distinct template once, in one insert; {id(template): its row's pk}."""
    distinct = list({id(t): t for t in templates}.values())
    rows = OutboxTemplate.objects.bulk_create(
        [
            OutboxTemplate(name=t.name, subject=t.subject, body_text=t.text, body_html=t.html)
            for t in distinct
        ]
    )
    return {id(t): row.pk for t, row in zip(distinct, rows, strict=True)}


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
    content = message.content()
    email = EmailMultiAlternatives(
        subject=content["subject"],
        body=content["body_text"],
        to=[message.to_email],
        headers={
            **message.headers,
            "Message-ID": message_id(message.idempotency_key),
            "X-Outbox-Key": message.idempotency_key,
        },
    )
    if content["body_html"]:
        email.attach_alternative(content["body_html"], "text/html")
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
    content = message.content()
    headers = {
        "From": _header(settings.DEFAULT_FROM_EMAIL),
        "To": _address(message.to_email),
        "Subject": _header(content["subject"]),
        "Date": formatdate(clock.now().timestamp(), usegmt=True),
        "Message-ID": message_id(message.idempotency_key),
        "X-Outbox-Key": message.idempotency_key,
        **{name: _header(value) for name, value in message.headers.items()},
        "MIME-Version": "1.0",
    }
    text = _base64_lines(content["body_text"])
    if content["body_html"]:
        boundary = "=_" + hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:24]
        headers["Content-Type"] = f'multipart/alternative; boundary="{boundary}"'
        body = (
            f"--{boundary}\r\n{PART.format(kind='plain')}{text}"
            f"--{boundary}\r\n{PART.format(kind='html')}{_base64_lines(content['body_html'])}"
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
        mail_transaction(connection.connection, sender, recipient, data)
    except smtplib.SMTPServerDisconnected:
        # The server dropped the connection before this message: one fresh connection, once.
        connection.close()
        connection.open()
        mail_transaction(connection.connection, sender, recipient, data)


def mail_transaction(smtp: smtplib.SMTP, sender: str, recipient: str, data: bytes) -> None:
    """One mail transaction (MAIL, RCPT, DATA) for addresses already in their SMTP form: what
    smtplib's sendmail does, without parsing both addresses again for every message.

    A server that offers PIPELINING (RFC 2920; Postfix, Exim and the big relays all do) gets
    MAIL, RCPT and DATA in one write and answers them together: two round trips a message
    rather than four, which is most of the time a message takes over a network.
    """
    smtp.ehlo_or_helo_if_needed()
    if smtp.has_extn("pipelining"):
        smtp.send(f"MAIL FROM:<{sender}>\r\nRCPT TO:<{recipient}>\r\nDATA\r\n")
        replies = [smtp.getreply() for _ in range(3)]
    else:
        replies = [_command(smtp, "mail", f"FROM:<{sender}>")]
        if replies[0][0] == 250:
            replies.append(_command(smtp, "rcpt", f"TO:<{recipient}>"))
        if replies[-1][0] in (250, 251):
            replies.append(_command(smtp, "data", ""))
    (mail_code, mail_reply), *rest = replies
    if len(rest) == 2 and rest[1][0] == 354 and (mail_code != 250 or rest[0][0] not in (250, 251)):
        # A server that opened DATA for a refused sender or recipient: close it empty.
        smtp.send(b".\r\n")
        smtp.getreply()
    if mail_code != 250:
        _reset(smtp)
        raise smtplib.SMTPSenderRefused(mail_code, mail_reply, sender)
    rcpt_code, rcpt_reply = rest[0]
    if rcpt_code not in (250, 251):
        _reset(smtp)
        raise smtplib.SMTPRecipientsRefused({recipient: (rcpt_code, rcpt_reply)})
    data_code, data_reply = rest[1]
    if data_code != 354:
        _reset(smtp)
        raise smtplib.SMTPDataError(data_code, data_reply)
    # The message as DATA carries it: a line starting with "." gets another, then "." alone.
    smtp.send(
        _LEADING_DOT.sub(b"..", data) + (b"" if data.endswith(b"\r\n") else b"\r\n") + b".\r\n"
    )
    code, reply = smtp.getreply()
    if code != 250:
        _reset(smtp)
        raise smtplib.SMTPDataError(code, reply)


_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


def _command(smtp: smtplib.SMTP, name: str, argument: str) -> tuple[int, bytes]:
    smtp.putcmd(name, argument)
    return smtp.getreply()


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
    batch = list(messages)
    # The batch's shared templates in one query, each split at its slots once.
    templates = OutboxTemplate.objects.in_bulk({m.template_id for m in batch if m.template_id})
    for message in batch:
        if message.template_id:
            message.template = templates[message.template_id]
    renew_at = clock.now() + scheduling.lease() * RENEW_AFTER_SHARE
    with mail_connection() as connection, _commits_without_waiting_for_disk():
        for message in batch:
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
            if clock.now() >= renew_at:
                scheduling.renew_lease(kind, token)
                renew_at = clock.now() + scheduling.lease() * RENEW_AFTER_SHARE
    return sent
