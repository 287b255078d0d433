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
import secrets
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from email.header import Header
from email.utils import formatdate, parseaddr
from functools import lru_cache, partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address
from django.db import DatabaseError, transaction
from django.db import connection as db
from django.db.models import QuerySet

from notifications import scheduling, smtp
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
    # A worker's batch writes its emails already taken by a run of their own (`sent_by_this_run`).
    token = secrets.token_hex(16) if _sent_by_this_run.get() else ""
    lease = {"claimed_until": now + scheduling.lease(), "attempts": 1}
    taken = {"status": DueStatus.CLAIMED, "run_token": token, **lease} if token else {}
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
                **taken,
            )
        )
    # A concurrent run with the same keys: one row each.
    OutboxMessage.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    if new and token:
        transaction.on_commit(partial(_send_taken, token))
    elif new:
        scheduling.kick("outbox")
    return len(new)


# Set while a worker runs a batch of a kind that commits once (see `sent_by_this_run`).
_sent_by_this_run: ContextVar[bool] = ContextVar("outbox_sent_by_this_run", default=False)


@contextmanager
def sent_by_this_run(kind: scheduling.DueKind) -> Iterator[None]:
    """A worker running a batch of `kind`: the emails the batch puts in the outbox are written
    already taken by this process (a token, a lease, one attempt) and sent by it as soon as the
    batch commits, over one connection. No claim by the dispatcher, no second task, no wait.

    If the process dies first, the lease runs out and the dispatcher hands them over like any
    other claimed row. Kinds that commit in steps (a prompt released 500 people at a time) are
    left to the dispatcher: their later steps should not wait for the mail of the first."""
    reset = _sent_by_this_run.set(not kind.owns_transactions)
    try:
        yield
    finally:
        _sent_by_this_run.reset(reset)


def _send_taken(token: str) -> None:
    """Send, now that they are committed, the emails a batch wrote taken under `token`."""
    kind = scheduling.due_kind("outbox")
    rows = OutboxMessage.objects.filter(status=DueStatus.CLAIMED, run_token=token)
    scheduling.run_taken(kind, token, list(rows.values_list("pk", flat=True)))


def outbox_discard(messages: QuerySet[OutboxMessage]) -> int:
    """Delete these outbox rows, and the stored templates no other row uses; how many rows."""
    template_ids = set(messages.exclude(template=None).values_list("template_id", flat=True))
    deleted = messages.delete()[1].get(OutboxMessage._meta.label, 0)
    still_used = OutboxMessage.objects.filter(template_id__in=template_ids).values("template_id")
    OutboxTemplate.objects.filter(pk__in=template_ids).exclude(pk__in=still_used).delete()
    return deleted


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
    batch = list(messages)
    # The batch's shared templates in one query, each split at its slots once.
    templates = OutboxTemplate.objects.in_bulk({m.template_id for m in batch if m.template_id})
    for message in batch:
        if message.template_id:
            message.template = templates[message.template_id]
    run = _Run(token)
    with mail_connection() as connection, _commits_without_waiting_for_disk():
        if not isinstance(connection, SmtpBackend):
            # Files, the console, Django's test outbox: their own way of writing a message.
            for message in batch:
                try:
                    connection.send_messages([email_of(message)])
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as error:
                    run.refused(message, error)
                else:
                    run.sent(message)
            return run.finished
        sender = _sender(settings.DEFAULT_FROM_EMAIL)[0]
        done, reconnected_at = 0, None
        while done < len(batch):
            rest = batch[done:]
            envelopes = ((_address(m.to_email), partial(message_bytes, m)) for m in rest)
            results = smtp.mail_transactions(connection.connection, sender, envelopes)
            try:
                for message, error in zip(rest, results, strict=False):
                    if error is None:
                        run.sent(message)
                    else:
                        run.refused(message, error)
                    done += 1
            except smtplib.SMTPServerDisconnected:
                # The server dropped the connection: one fresh connection for the message in
                # flight, once (it may go twice, with the same Message-ID).
                if reconnected_at == done:
                    raise
                reconnected_at = done
                connection.close()
                connection.open()
    return run.finished


class _Run:
    """The rows of one run of the outbox kind, recorded one by one as the server answers."""

    def __init__(self, token: str) -> None:
        self.kind = scheduling.due_kind("outbox")
        self.token = token
        self.finished = 0
        self.renew_at = clock.now() + scheduling.lease() * RENEW_AFTER_SHARE

    def sent(self, message: OutboxMessage) -> None:
        # Autocommit: this message is recorded as sent before the next one is accepted.
        self.finished += scheduling.finish_row(self.kind, token=self.token, pk=message.pk)
        if clock.now() >= self.renew_at:
            scheduling.renew_lease(self.kind, self.token)
            self.renew_at = clock.now() + scheduling.lease() * RENEW_AFTER_SHARE

    def refused(self, message: OutboxMessage, error: Exception) -> None:
        permanent = smtp.refused_for_good(error)
        if permanent is None:
            raise error
        logger.warning("outbox %s refused: %s", message.pk, error)
        if permanent:
            OutboxMessage.objects.filter(pk=message.pk, run_token=self.token).update(
                status=DueStatus.FAILED,
                claimed_until=None,
                run_token="",
                last_error=f"{type(error).__name__}: {error}"[:2000],
            )
        else:
            scheduling.release_rows(self.kind, token=self.token, ids=[message.pk], error=error)
