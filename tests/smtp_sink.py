"""A real local SMTP server (aiosmtpd) that keeps every message it receives: the edge of the world
for tests and the benchmark that send mail from separate worker processes."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller


def text_of(message: Message) -> str:
    """Every text part of a received message, decoded (bodies travel in base64)."""
    return "\n".join(
        part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
        for part in message.walk()
        if part.get_content_maintype() == "text"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _outbox_key(data: bytes) -> str:
    """The X-Outbox-Key header of a raw message ("" when it has none)."""
    start = data.find(b"\r\nX-Outbox-Key: ")
    if start < 0:
        return ""
    start += len(b"\r\nX-Outbox-Key: ")
    return data[start : data.find(b"\r\n", start)].decode()


@dataclass
class SmtpSink:
    """Start with `start()`; `messages` fills as mail arrives; `wait_for(n)` waits for n."""

    keep_bodies: bool = True
    # Seconds each message takes to accept: a slower server keeps batches in flight longer.
    delay: float = 0.0
    port: int = field(default_factory=free_port)
    messages: list[Message] = field(default_factory=list)
    count: int = 0
    # SMTP sessions opened (one EHLO each): tells whether senders reuse their connection.
    sessions: int = 0
    # Offer PIPELINING (RFC 2920), as real mail servers do; aiosmtpd reads commands in order.
    pipelining: bool = True
    # Recipients refused for good (550), as a server refuses an unknown mailbox.
    refused: set[str] = field(default_factory=set)
    # Outbox keys whose content is refused for good (554), as a filter refuses a message.
    refused_keys: set[str] = field(default_factory=set)
    # Outbox keys at whose content the server hangs up once, without accepting it (a restart).
    hang_up_on: set[str] = field(default_factory=set)
    # How often each outbox key arrived (read from the raw header, so it costs next to nothing
    # even when bodies are not kept): a key seen twice is a message sent twice.
    key_counts: Counter = field(default_factory=Counter)
    # How many arrived per notification kind ("spark", "prompt", … from `notify:<person>:<kind>:…`).
    kind_counts: Counter = field(default_factory=Counter)
    _arrived: threading.Condition = field(default_factory=threading.Condition)
    _controller: Controller | None = None

    # aiosmtpd calls the handler methods by these names.
    async def handle_EHLO(self, server, session, envelope, hostname, responses) -> list[str]:
        session.host_name = hostname
        with self._arrived:
            self.sessions += 1
        if self.pipelining:
            # The last line of an EHLO reply is "250 …"; the extensions come before it.
            responses = [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        key = _outbox_key(envelope.original_content)
        if key in self.refused_keys:
            return "554 5.6.0 Message refused"
        if key in self.hang_up_on:
            self.hang_up_on.discard(key)
            server.transport.close()
            return "421 4.3.2 Shutting down"
        with self._arrived:
            if self.keep_bodies:
                self.messages.append(message_from_bytes(envelope.original_content))
            self.count += 1
            self.key_counts[key] += 1
            self.kind_counts[key.split(":")[2] if key.startswith("notify:") else ""] += 1
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def start(self) -> SmtpSink:
        # aiosmtpd logs every command at INFO: thousands of lines that cost the sender time.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def keys(self) -> set[str]:
        """The outbox keys of the messages received so far (each counted once)."""
        with self._arrived:
            return {message["X-Outbox-Key"] for message in self.messages}

    def wait_for(self, count: int, *, timeout: float) -> int:
        """Wait until at least `count` messages arrived or `timeout` seconds passed; the count."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while self.count < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._arrived.wait(left)
            return self.count

    def wait_quiet(self, *, seconds: float, timeout: float) -> int:
        """Wait until nothing arrived for `seconds` (at most `timeout`); the count."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = self.count
            time.sleep(seconds)
            if self.count == before:
                break
        return self.count

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
