"""The outbox over real SMTP: a local aiosmtpd server as the edge of the world, with and without
PIPELINING, refusing one mailbox. Tasks run eagerly, so a batch goes out when it commits.
"""

import smtplib

import pytest
from django.test.utils import override_settings

from notifications.models import OutboxMessage
from notifications.outbox import outbox_enqueue_many
from notifications.scheduling import DueStatus
from notifications.smtp import mail_transactions
from tests.smtp_sink import SmtpSink, text_of

pytestmark = pytest.mark.postgres


@pytest.fixture(params=[True, False], ids=["pipelined", "one-by-one"])
def sink(request):
    with SmtpSink(pipelining=request.param, refused={"nobody@example.test"}) as server:
        mailers = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 10},
            }
        }
        with override_settings(MAILERS=mailers):
            yield server


@pytest.fixture
def writes(monkeypatch) -> list[bytes]:
    """Every write the client makes to the SMTP server, still made: how many round trips it took."""
    written = []
    real_send = smtplib.SMTP.send

    def send(self, data):
        written.append((data if isinstance(data, bytes) else data.encode()).upper())
        return real_send(self, data)

    monkeypatch.setattr(smtplib.SMTP, "send", send)
    return written


@pytest.mark.django_db(transaction=True)
def test_it_sends_a_batch_over_one_connection_and_fails_a_refused_mailbox_alone(sink, writes):
    outbox_enqueue_many(
        [
            {
                "key": f"k{n}",
                "to_email": address,
                "subject": f"Hello {n}",
                "body_text": f"Line one\n.hidden line {n}\n.\nlast",
            }
            for n, address in enumerate(["a@example.test", "nobody@example.test", "b@example.test"])
        ]
    )

    # Tasks run eagerly here: the dispatcher kicked after the commit has sent the batch.
    sink.wait_for(2, timeout=10)
    assert sink.sessions == 1
    assert sorted(m["To"] for m in sink.messages) == ["a@example.test", "b@example.test"]
    received = {m["X-Outbox-Key"]: text_of(m) for m in sink.messages}
    assert received["k2"] == "Line one\n.hidden line 2\n.\nlast"
    rows = dict(OutboxMessage.objects.values_list("to_email", "status"))
    assert rows == {
        "a@example.test": DueStatus.DONE,
        "nobody@example.test": DueStatus.FAILED,
        "b@example.test": DueStatus.DONE,
    }
    refused = OutboxMessage.objects.get(to_email="nobody@example.test")
    assert "No such mailbox" in refused.last_error
    # Every envelope is MAIL, RCPT and DATA in one write when the server offers PIPELINING, and
    # a message's content goes in the same write as the next one's envelope: one round trip a
    # message. Without PIPELINING, one write per command.
    envelopes = [w for w in writes if b"MAIL FROM:" in w]
    assert sum(w.count(b"MAIL FROM:") for w in writes) == 3
    if sink.pipelining:
        assert all(b"RCPT TO:" in w and w.endswith(b"DATA\r\n") for w in envelopes)
        # a's content carries the refused mailbox's envelope; b's (the last) stands alone.
        assert [w.startswith(b"MAIL FROM:") for w in envelopes] == [True, False, True]
        assert b"TO:<NOBODY@EXAMPLE.TEST>" in envelopes[1]
    else:
        assert not any(b"RCPT" in w for w in envelopes)


def enqueue_short_emails(count: int) -> None:
    """Emails k0, k1, … to p0@, p1@, …; tasks run eagerly, so they go out as this commits."""
    outbox_enqueue_many(
        [
            {"key": f"k{n}", "to_email": f"p{n}@example.test", "subject": "Hi", "body_text": "x"}
            for n in range(count)
        ]
    )


@pytest.mark.django_db(transaction=True)
def test_it_fails_a_refused_content_alone_and_the_next_message_still_goes(sink):
    sink.refused_keys = {"k1"}
    enqueue_short_emails(3)

    # Pipelined, k2's envelope was already on its way when the server refused k1's content.
    sink.wait_for(2, timeout=10)
    assert sink.sessions == 1
    assert sorted(m["X-Outbox-Key"] for m in sink.messages) == ["k0", "k2"]
    rows = dict(OutboxMessage.objects.values_list("idempotency_key", "status"))
    assert rows == {"k0": DueStatus.DONE, "k1": DueStatus.FAILED, "k2": DueStatus.DONE}
    assert "554" in OutboxMessage.objects.get(idempotency_key="k1").last_error


@pytest.mark.django_db(transaction=True)
def test_it_sends_the_rest_over_a_new_connection_when_the_server_hangs_up_mid_batch(sink):
    sink.hang_up_on = {"k2"}
    enqueue_short_emails(5)

    # k2 was in flight when the server hung up: sent again on a second connection, with the rest.
    sink.wait_for(5, timeout=10)
    assert sink.sessions == 2
    assert sorted(sink.key_counts.elements()) == ["k0", "k1", "k2", "k3", "k4"]
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {DueStatus.DONE}


def test_it_sends_lines_that_start_with_a_dot_as_written(sink):
    # Bodies go out in base64, which has no dots; a raw message shows the DATA dot-stuffing.
    raw = b"Subject: dots\r\n\r\n.hidden\r\n.\r\n..two\r\nlast\r\n"
    with smtplib.SMTP("127.0.0.1", sink.port) as smtp:
        sent = mail_transactions(smtp, "noreply@example.test", [("a@example.test", lambda: raw)])
        assert list(sent) == [None]
    sink.wait_for(1, timeout=10)
    assert sink.messages[0].get_payload() == ".hidden\r\n.\r\n..two\r\nlast\r\n"
