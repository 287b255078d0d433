"""SMTP as the outbox speaks it: mail transactions for addresses already in their SMTP form,
one at a time or a batch in a row over one session.

smtplib's `sendmail` parses both addresses again for every message and waits for each command's
reply. A server that offers PIPELINING (RFC 2920; Postfix, Exim and the big relays all do) takes
MAIL, RCPT and DATA in one write, and a message's content may open the next group: so a batch goes
out at one round trip a message, the content of one travelling with the envelope of the next.
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress

# A message for `mail_transactions`: its recipient and how to write it out (called as late as
# possible, while the server is still busy with the message before it).
Envelope = tuple[str, Callable[[], bytes]]

_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


def mail_transactions(
    smtp: smtplib.SMTP, sender: str, envelopes: Iterable[Envelope]
) -> Iterator[smtplib.SMTPException | None]:
    """Send the messages in order over one session; for each, in order, yield None once the server
    has accepted it, or the SMTP error with which it refused that one message (recipient refused:
    `SMTPRecipientsRefused`; content refused: `SMTPDataError`).

    Each result is yielded as soon as it is known and before anything more is read, so the caller
    can record the message as sent before the next one is accepted. A refused sender or a lost
    connection raises.
    """
    smtp.ehlo_or_helo_if_needed()
    if not smtp.has_extn("pipelining"):
        for recipient, write_out in envelopes:
            yield _one_by_one(smtp, sender, recipient, write_out())
        return
    todo = iter(envelopes)
    current = next(todo, None)
    if current is not None:
        smtp.send(_envelope(sender, current[0]))
    data = current[1]() if current else b""
    while current is not None:
        recipient = current[0]
        refusal = _envelope_refusal(smtp, sender, recipient)
        following = next(todo, None)
        if refusal is not None:
            yield refusal
            current = following
            if current is not None:
                smtp.send(_envelope(sender, current[0]))
                data = current[1]()
            continue
        # This message's content and the next one's envelope in one write.
        smtp.send(_content(data) + (_envelope(sender, following[0]) if following else b""))
        unwritten = None
        if following is not None:
            # Written out while the server reads this message; a failure to write it out is
            # raised only after this message's result, which the caller must record.
            try:
                data = following[1]()
            except Exception as error:
                unwritten = error
        code, reply = smtp.getreply()
        if code != 250 and following is None:
            _reset(smtp)
        # A refused content ends its transaction: the next envelope, already sent, stands.
        yield None if code == 250 else smtplib.SMTPDataError(code, reply)
        if unwritten is not None:
            raise unwritten
        current = following


def _envelope(sender: str, recipient: str) -> bytes:
    return f"MAIL FROM:<{sender}>\r\nRCPT TO:<{recipient}>\r\nDATA\r\n".encode()


def _content(data: bytes) -> bytes:
    """The message as DATA carries it: a line starting with "." gets another, then "." alone."""
    return _LEADING_DOT.sub(b"..", data) + (b"" if data.endswith(b"\r\n") else b"\r\n") + b".\r\n"


def _envelope_refusal(
    smtp: smtplib.SMTP, sender: str, recipient: str
) -> smtplib.SMTPException | None:
    """Read the replies to a pipelined MAIL, RCPT and DATA: None when DATA may follow (354);
    the recipient's refusal (the server is reset); raises when the sender is refused."""
    (mail_code, mail_reply), (rcpt_code, rcpt_reply), (data_code, data_reply) = (
        smtp.getreply() for _ in range(3)
    )
    if data_code == 354 and mail_code == 250 and rcpt_code in (250, 251):
        return None
    if data_code == 354:
        # A server that opened DATA for a refused sender or recipient: close it empty.
        smtp.send(b".\r\n")
        smtp.getreply()
    _reset(smtp)
    if mail_code != 250:
        raise smtplib.SMTPSenderRefused(mail_code, mail_reply, sender)
    if rcpt_code not in (250, 251):
        return smtplib.SMTPRecipientsRefused({recipient: (rcpt_code, rcpt_reply)})
    return smtplib.SMTPDataError(data_code, data_reply)


def _one_by_one(
    smtp: smtplib.SMTP, sender: str, recipient: str, data: bytes
) -> smtplib.SMTPException | None:
    """A mail transaction with a server that does not pipeline: a round trip per command."""
    code, reply = _command(smtp, "mail", f"FROM:<{sender}>")
    if code != 250:
        _reset(smtp)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    code, reply = _command(smtp, "rcpt", f"TO:<{recipient}>")
    if code not in (250, 251):
        _reset(smtp)
        return smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
    code, reply = _command(smtp, "data", "")
    if code != 354:
        _reset(smtp)
        return smtplib.SMTPDataError(code, reply)
    smtp.send(_content(data))
    code, reply = smtp.getreply()
    if code != 250:
        _reset(smtp)
        return smtplib.SMTPDataError(code, reply)
    return None


def _command(smtp: smtplib.SMTP, name: str, argument: str) -> tuple[int, bytes]:
    smtp.putcmd(name, argument)
    return smtp.getreply()


def _reset(smtp: smtplib.SMTP) -> None:
    with suppress(smtplib.SMTPServerDisconnected):
        smtp.rset()


def refused_for_good(error: Exception) -> bool | None:
    """A refusal of this one message: True if permanent (5xx for its recipient or its content),
    False if the server asks to try it later (4xx); None when the refusal is not about this
    message (the sender refused, the server in a bad state): the batch waits and tries again."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPDataError):
        return error.smtp_code >= 500
    return None
