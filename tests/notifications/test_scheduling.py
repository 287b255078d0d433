"""The due-row mechanism on real PostgreSQL, with the outbox as the kind.

Counted in mails (Django's locmem backend) and rows. Tasks run eagerly, so a task enqueued after
commit runs when the dispatcher's transaction commits, as a worker would soon after.
"""

import smtplib
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from kombu.exceptions import OperationalError

from notifications import scheduling
from notifications.models import OutboxMessage
from notifications.scheduling import DueStatus, claim_due_rows
from notifications.services import outbox_enqueue
from notifications.tasks import send_outbox_message
from socialtraining import clock

pytestmark = pytest.mark.postgres

transactional = pytest.mark.django_db(transaction=True)


@pytest.fixture
def outbox_kind():
    return scheduling.due_kind("outbox")


@pytest.fixture
def lease(settings) -> timedelta:
    return timedelta(seconds=settings.DUE_LEASE_SECONDS)


def sent_keys() -> list[str]:
    return sorted(message.extra_headers["X-Outbox-Key"] for message in mail.outbox)


def keys_of(ids: list[int]) -> list[str]:
    return sorted(
        OutboxMessage.objects.filter(pk__in=ids).values_list("idempotency_key", flat=True)
    )


def statuses() -> dict[str, int]:
    rows = OutboxMessage.objects.values_list("status", flat=True)
    return {status: list(rows).count(status) for status in set(rows)}


def refuse_smtp(self, messages):
    # The SMTP server is the edge of the world: here it hangs up.
    raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@transactional
def test_it_sends_each_due_row_once_when_dispatched_twice(
    travel, make_outbox_rows, outbox_kind, lease
):
    ids = make_outbox_rows(5)

    assert scheduling.dispatch_kind(outbox_kind) == 5
    assert scheduling.dispatch_kind(outbox_kind) == 0
    # Even once every lease has run out, a done row is never claimed again.
    travel.to(clock.now() + 2 * lease)
    assert scheduling.dispatch_kind(outbox_kind) == 0

    assert sent_keys() == keys_of(ids)
    assert statuses() == {DueStatus.DONE: 5}


@transactional
def test_it_sends_one_mail_when_the_task_runs_twice(make_outbox_rows):
    [row_id] = make_outbox_rows(1)

    assert send_outbox_message("outbox", row_id) is True
    assert send_outbox_message("outbox", row_id) is False

    assert len(mail.outbox) == 1
    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts) == (DueStatus.DONE, 1)


@transactional
def test_it_sends_one_mail_when_two_workers_run_the_task_at_once(make_outbox_rows):
    [row_id] = make_outbox_rows(1)
    barrier = threading.Barrier(2, timeout=10)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(send_outbox_message("outbox", row_id))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(results) == [False, True]
    assert len(mail.outbox) == 1


@transactional
def test_it_never_gives_one_row_to_two_parallel_dispatchers(make_outbox_rows):
    ids = make_outbox_rows(40)
    barrier = threading.Barrier(2, timeout=10)
    claims: dict[str, list[int]] = {}
    first_batches: dict[str, list[int]] = {}
    errors = []

    def dispatcher(name: str) -> None:
        try:
            with transaction.atomic():
                barrier.wait()
                first_batches[name] = claim_due_rows(OutboxMessage, limit=15)
                # Both hold their row locks at once: the second had to skip, not wait or share.
                barrier.wait()
            claimed = list(first_batches[name])
            while True:
                with transaction.atomic():
                    batch = claim_due_rows(OutboxMessage, limit=4)
                if not batch:
                    break
                claimed += batch
            claims[name] = claimed
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(first_batches["a"]) == len(first_batches["b"]) == 15
    assert not set(claims["a"]) & set(claims["b"])
    assert len(claims["a"]) + len(claims["b"]) == 40
    assert sorted(claims["a"] + claims["b"]) == ids
    assert statuses() == {DueStatus.CLAIMED: 40}


@transactional
def test_it_reclaims_only_unsent_rows_after_a_crash(travel, make_outbox_rows, outbox_kind, lease):
    ids = make_outbox_rows(6)
    start = clock.now()
    with transaction.atomic():
        travel.to(start)
        claimed = claim_due_rows(OutboxMessage)
    assert claimed == ids
    # The worker sent three, then died; the other three tasks were lost with it.
    for row_id in claimed[:3]:
        send_outbox_message("outbox", row_id)

    travel.to(start + lease - timedelta(seconds=1))
    assert scheduling.dispatch_kind(outbox_kind) == 0
    assert len(mail.outbox) == 3
    travel.to(start + lease + timedelta(seconds=1))
    assert scheduling.dispatch_kind(outbox_kind) == 3

    assert sent_keys() == keys_of(ids)
    assert statuses() == {DueStatus.DONE: 6}
    # Each claim counts as an attempt: the reclaimed rows were claimed twice.
    attempts = dict(OutboxMessage.objects.values_list("pk", "attempts"))
    assert [attempts[row_id] for row_id in ids] == [1, 1, 1, 2, 2, 2]


@pytest.mark.postgres
@pytest.mark.django_db
def test_it_fails_a_row_whose_worker_dies_every_time(travel, make_outbox_rows, outbox_kind, lease):
    (row_id,) = make_outbox_rows(1)
    now = clock.now()
    for _ in range(OutboxMessage.max_attempts):
        # Claimed and handed to a worker that dies before finishing: nothing marks it done.
        with transaction.atomic():
            travel.to(now)
            assert claim_due_rows(OutboxMessage) == [row_id]
        now += lease + timedelta(seconds=1)

    travel.to(now)
    assert scheduling.dispatch_kind(outbox_kind) == 0
    row = OutboxMessage.objects.get(pk=row_id)
    assert row.status == DueStatus.FAILED
    assert "without finishing" in row.last_error
    assert mail.outbox == []


@pytest.mark.django_db
def test_it_enqueues_nothing_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        outbox_enqueue(key="k", to_email="a@example.test", subject="Hi", body_text="Hello")
        raise RuntimeError("the caller's write failed")

    assert callbacks == []
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_it_enqueues_the_send_only_on_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        outbox_enqueue(key="k", to_email="a@example.test", subject="Hi", body_text="Hello")
        assert mail.outbox == []

    assert len(callbacks) == 1
    assert [message.to for message in mail.outbox] == [["a@example.test"]]


@transactional
def test_it_sends_nothing_when_a_real_transaction_rolls_back():
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_enqueue(key="k", to_email="a@example.test", subject="Hi", body_text="Hello")
        raise RuntimeError("the caller's write failed")

    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []


@transactional
def test_it_writes_and_sends_once_per_key():
    for _ in range(2):
        outbox_enqueue(key="welcome:1", to_email="a@example.test", subject="Hi", body_text="Hello")

    assert OutboxMessage.objects.count() == 1
    assert len(mail.outbox) == 1


@transactional
def test_it_leaves_rows_that_are_not_due_yet(travel, make_outbox_rows, outbox_kind):
    now = clock.now()
    due = make_outbox_rows(2, due_at=now, prefix="due")
    later = make_outbox_rows(3, due_at=now + timedelta(hours=1), prefix="later")

    with transaction.atomic():
        travel.to(now)
        assert claim_due_rows(OutboxMessage) == due
    for row_id in due:
        send_outbox_message("outbox", row_id)
    # A task that arrives early for a pending row does nothing.
    assert send_outbox_message("outbox", later[0]) is False
    travel.to(now + timedelta(minutes=59))
    assert scheduling.dispatch_kind(outbox_kind) == 0
    assert sent_keys() == keys_of(due)

    travel.to(now + timedelta(hours=1))
    assert scheduling.dispatch_kind(outbox_kind) == 3
    assert sent_keys() == keys_of(due + later)


@transactional
def test_it_backs_off_and_then_gives_up_on_a_failing_send(
    travel, make_outbox_rows, outbox_kind, monkeypatch
):
    [row_id] = make_outbox_rows(1)
    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse_smtp)
    max_attempts = OutboxMessage.max_attempts
    delays = []
    now = clock.now()

    for attempt in range(1, max_attempts):
        before = clock.now()
        travel.to(now)
        assert scheduling.dispatch_kind(outbox_kind) == 1
        row = OutboxMessage.objects.get(pk=row_id)
        assert (row.status, row.attempts) == (DueStatus.PENDING, attempt)
        assert row.last_error.startswith("SMTPServerDisconnected")
        delays.append(row.due_at - before)
        # Not tried again until the backoff has passed.
        travel.to(row.due_at - timedelta(seconds=1))
        assert scheduling.dispatch_kind(outbox_kind) == 0
        now = row.due_at

    travel.to(now)
    assert scheduling.dispatch_kind(outbox_kind) == 1
    row = OutboxMessage.objects.get(pk=row_id)
    assert (row.status, row.attempts) == (DueStatus.FAILED, max_attempts)
    travel.to(now + timedelta(days=30))
    assert scheduling.dispatch_kind(outbox_kind) == 0

    assert delays == sorted(delays)
    assert delays[0] >= timedelta(minutes=2)
    assert delays[-1] > 2 * delays[0]
    assert mail.outbox == []


@transactional
def test_it_sends_once_after_a_failure_clears(travel, make_outbox_rows, outbox_kind, monkeypatch):
    [row_id] = make_outbox_rows(1)
    with monkeypatch.context() as patch:
        patch.setattr(locmem.EmailBackend, "send_messages", refuse_smtp)
        assert send_outbox_message("outbox", row_id) is False
    row = OutboxMessage.objects.get(pk=row_id)

    travel.to(row.due_at)
    assert scheduling.dispatch_kind(outbox_kind) == 1
    travel.to(row.due_at + timedelta(days=1))
    assert scheduling.dispatch_kind(outbox_kind) == 0

    row.refresh_from_db()
    assert (row.status, row.attempts) == (DueStatus.DONE, 2)
    assert len(mail.outbox) == 1


@transactional
def test_it_dispatches_in_bounded_batches(make_outbox_rows, outbox_kind, settings):
    settings.DUE_BATCH_SIZE = 3
    ids = make_outbox_rows(10)

    with CaptureQueriesContext(connection) as queries:
        assert scheduling.dispatch_kind(outbox_kind, max_batches=2) == 6
    claims = [query["sql"] for query in queries if "SKIP LOCKED" in query["sql"]]
    assert len(claims) == 2
    assert all("LIMIT 3" in sql for sql in claims)
    # Nothing else reads outbox rows except one at a time, by primary key.
    reads = [
        sql
        for query in queries
        if (sql := query["sql"]).startswith("SELECT")
        and '"notifications_outboxmessage"' in sql.split("WHERE")[0]
        and "SKIP LOCKED" not in sql
    ]
    assert reads and all('"notifications_outboxmessage"."id" =' in sql for sql in reads)
    assert len(mail.outbox) == 6

    # The next run carries on until a short batch says nothing is left.
    assert scheduling.dispatch_kind(outbox_kind) == 4
    assert sent_keys() == keys_of(ids)


def broker_down(*args, **kwargs):
    # Redis is the edge of the world: here it is unreachable.
    raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")


@transactional
def test_it_keeps_the_mail_when_the_broker_is_down_at_enqueue(outbox_kind, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(send_outbox_message, "delay", broker_down)
        message = outbox_enqueue(
            key="k", to_email="a@example.test", subject="Hi", body_text="Hello"
        )

    assert OutboxMessage.objects.get().status == DueStatus.PENDING
    assert mail.outbox == []
    # The next sweep sends it.
    assert scheduling.dispatch_kind(outbox_kind) == 1
    assert sent_keys() == [message.idempotency_key]


@transactional
def test_it_leaves_claims_to_the_lease_when_the_broker_is_down(
    travel, make_outbox_rows, outbox_kind, lease, monkeypatch
):
    ids = make_outbox_rows(3)
    start = clock.now()
    with monkeypatch.context() as patch:
        patch.setattr(send_outbox_message, "delay", broker_down)
        travel.to(start)
        assert scheduling.dispatch_kind(outbox_kind) == 3

    assert statuses() == {DueStatus.CLAIMED: 3}
    travel.to(start + lease + timedelta(seconds=1))
    assert scheduling.dispatch_kind(outbox_kind) == 3
    assert sent_keys() == keys_of(ids)


@pytest.mark.django_db
def test_it_puts_a_row_back_to_pending_when_its_work_says_when_it_is_due_next(make_outbox_rows):
    [row_id] = make_outbox_rows(1)
    next_time = clock.now() + timedelta(days=2)
    steps = []

    def send_then_remind(row):
        steps.append(row.pk)
        return next_time if len(steps) == 1 else None

    assert scheduling.process_due_row(OutboxMessage, row_id, send_then_remind) is True
    row = OutboxMessage.objects.get(pk=row_id)
    assert (row.status, row.due_at, row.attempts) == (DueStatus.PENDING, next_time, 0)
    # Not due yet: nothing runs, however often it is handed over.
    assert scheduling.process_due_row(OutboxMessage, row_id, send_then_remind) is False
    OutboxMessage.objects.filter(pk=row_id).update(due_at=clock.now())
    assert scheduling.process_due_row(OutboxMessage, row_id, send_then_remind) is True
    assert OutboxMessage.objects.get(pk=row_id).status == DueStatus.DONE
    assert steps == [row_id, row_id]
