"""The due-row engine on real PostgreSQL, with the outbox as the kind under test.

Counted in mails (Django's locmem backend) and rows. Tasks run eagerly, so a batch enqueued after
commit runs when the dispatcher's transaction commits, as a worker would soon after.
"""

import re
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
from notifications.models import Job, OutboxMessage
from notifications.outbox import outbox_enqueue
from notifications.scheduling import DueStatus
from notifications.tasks import dispatch_due, run_due_batch
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
    rows = list(OutboxMessage.objects.values_list("status", flat=True))
    return {status: rows.count(status) for status in set(rows)}


def claim(kind, limit=None) -> list[int]:
    with transaction.atomic():
        return scheduling.claim_due_rows(kind, limit=limit)


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
    travel.by(2 * lease)
    assert scheduling.dispatch_kind(outbox_kind) == 0

    assert sent_keys() == keys_of(ids)
    assert statuses() == {DueStatus.DONE: 5}


@transactional
def test_it_sends_one_mail_when_the_same_batch_runs_twice(make_outbox_rows, outbox_kind):
    ids = make_outbox_rows(3)
    claimed = claim(outbox_kind)

    assert run_due_batch("outbox", claimed) == 3
    assert run_due_batch("outbox", claimed) == 0

    assert sent_keys() == keys_of(ids)
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {(DueStatus.DONE, 1)}


@transactional
def test_it_sends_one_mail_each_when_two_workers_run_the_batch_at_once(
    make_outbox_rows, outbox_kind
):
    ids = make_outbox_rows(20)
    claimed = claim(outbox_kind)
    barrier = threading.Barrier(2, timeout=10)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(run_due_batch("outbox", claimed))
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
    # One run took the batch; the other found it taken and sent nothing.
    assert sorted(results) == [0, 20]
    assert sent_keys() == keys_of(ids)


@transactional
def test_it_never_gives_one_row_to_two_parallel_dispatchers(make_outbox_rows, outbox_kind):
    ids = make_outbox_rows(40)
    barrier = threading.Barrier(2, timeout=10)
    claims: dict[str, list[int]] = {}
    first_batches: dict[str, list[int]] = {}
    errors = []

    def dispatcher(name: str) -> None:
        try:
            with transaction.atomic():
                barrier.wait()
                first_batches[name] = scheduling.claim_due_rows(outbox_kind, limit=15)
                # Both hold their row locks at once: the second had to skip, not wait or share.
                barrier.wait()
            claimed = list(first_batches[name])
            while batch := claim(outbox_kind, limit=4):
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
    assert sorted(claims["a"] + claims["b"]) == ids
    assert statuses() == {DueStatus.CLAIMED: 40}


@transactional
def test_it_sends_only_the_unsent_rest_after_a_worker_dies_mid_batch(
    travel, make_outbox_rows, outbox_kind, lease, monkeypatch
):
    ids = make_outbox_rows(6)
    claimed = claim(outbox_kind)
    sent = []
    real_send = locmem.EmailBackend.send_messages

    def die_after_three(self, messages):
        if len(sent) == 3:
            # The worker is killed here: nothing after this line of the run happens.
            raise SystemExit("worker killed")
        sent.extend(messages)
        return real_send(self, messages)

    with monkeypatch.context() as patch, pytest.raises(SystemExit):
        patch.setattr(locmem.EmailBackend, "send_messages", die_after_three)
        run_due_batch("outbox", claimed)
    assert len(mail.outbox) == 3
    # The three sent rows were committed one by one; the rest stay taken until the lease ends.
    assert statuses() == {DueStatus.DONE: 3, DueStatus.CLAIMED: 3}
    assert scheduling.dispatch_kind(outbox_kind) == 0

    travel.by(lease + timedelta(seconds=1))
    assert scheduling.dispatch_kind(outbox_kind) == 3
    assert sent_keys() == keys_of(ids)
    assert statuses() == {DueStatus.DONE: 6}


@transactional
def test_it_keeps_its_batch_while_a_slow_server_takes_longer_than_a_lease(
    travel, make_outbox_rows, outbox_kind, lease, monkeypatch
):
    ids = make_outbox_rows(4)
    claimed = claim(outbox_kind)
    real_send = locmem.EmailBackend.send_messages
    claimed_by_others = []

    def slow_server(self, messages):
        # Each message takes half a lease: by the third, the run's first lease has long run out.
        travel.by(lease / 2)
        claimed_by_others.append(claim(outbox_kind))
        return real_send(self, messages)

    with monkeypatch.context() as patch:
        patch.setattr(locmem.EmailBackend, "send_messages", slow_server)
        assert run_due_batch("outbox", claimed) == 4

    # The run renewed its lease as it went, so no dispatcher took the rest from under it.
    assert claimed_by_others == [[], [], [], []]
    assert sent_keys() == keys_of(ids)
    assert statuses() == {DueStatus.DONE: 4}


@transactional
def test_it_fails_a_row_whose_work_dies_every_time_but_not_one_that_only_waited(
    travel, make_outbox_rows, outbox_kind, lease
):
    dying, waiting = make_outbox_rows(2)
    for _ in range(OutboxMessage.max_attempts):
        # Both are claimed; only `dying` is taken by a worker, which dies before finishing.
        assert sorted(claim(outbox_kind)) == [dying, waiting]
        assert scheduling.take_rows(outbox_kind, [dying])[1] == [dying]
        travel.by(lease + timedelta(seconds=1))

    scheduling.fail_abandoned_rows(outbox_kind, now=clock.now())
    rows = {row.pk: row for row in OutboxMessage.objects.all()}
    assert (rows[dying].status, rows[dying].attempts) == (DueStatus.FAILED, 5)
    assert "without finishing" in rows[dying].last_error
    # Claimed five times but never started: a long queue is no reason to give up on a mail.
    assert (rows[waiting].status, rows[waiting].attempts) == (DueStatus.CLAIMED, 0)
    assert scheduling.dispatch_kind(outbox_kind) == 1
    assert sent_keys() == keys_of([waiting])


@pytest.mark.django_db
def test_it_writes_and_kicks_nothing_when_the_transaction_rolls_back(
    django_capture_on_commit_callbacks,
):
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
def test_it_sends_only_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        outbox_enqueue(key="k", to_email="a@example.test", subject="Hi", body_text="Hello")
        assert mail.outbox == []

    assert len(callbacks) >= 1
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
    # The Message-ID comes from the key: a repeat would carry the same one.
    assert mail.outbox[0].extra_headers["Message-ID"].endswith("@localhost>")


@transactional
def test_it_leaves_rows_that_are_not_due_yet(travel, make_outbox_rows, outbox_kind):
    now = clock.now()
    due = make_outbox_rows(2, due_at=now, prefix="due")
    later = make_outbox_rows(3, due_at=now + timedelta(hours=1), prefix="later")

    assert scheduling.dispatch_kind(outbox_kind) == 2
    # A batch handed over early for pending rows does nothing.
    assert run_due_batch("outbox", later) == 0
    travel.to(now + timedelta(minutes=59))
    assert scheduling.dispatch_kind(outbox_kind) == 0
    assert sent_keys() == keys_of(due)

    travel.to(now + timedelta(hours=1))
    assert scheduling.dispatch_kind(outbox_kind) == 3
    assert sent_keys() == keys_of(due + later)


@transactional
def test_it_backs_off_and_then_gives_up_while_the_smtp_server_is_down(
    travel, make_outbox_rows, outbox_kind, monkeypatch
):
    [row_id] = make_outbox_rows(1)
    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse_smtp)
    delays = []

    for attempt in range(1, OutboxMessage.max_attempts):
        before = clock.now()
        assert scheduling.dispatch_kind(outbox_kind) == 1
        row = OutboxMessage.objects.get(pk=row_id)
        assert (row.status, row.attempts) == (DueStatus.PENDING, attempt)
        assert row.last_error.startswith("SMTPServerDisconnected")
        delays.append(row.due_at - before)
        # Not tried again until the backoff has passed.
        travel.to(row.due_at - timedelta(seconds=1))
        assert scheduling.dispatch_kind(outbox_kind) == 0
        travel.to(row.due_at)

    assert scheduling.dispatch_kind(outbox_kind) == 1
    row = OutboxMessage.objects.get(pk=row_id)
    assert (row.status, row.attempts) == (DueStatus.FAILED, OutboxMessage.max_attempts)
    travel.by(timedelta(days=30))
    assert scheduling.dispatch_kind(outbox_kind) == 0

    assert delays == sorted(delays)
    assert delays[0] >= timedelta(minutes=2)
    assert delays[-1] > 2 * delays[0]
    assert mail.outbox == []


@transactional
def test_it_sends_once_after_the_smtp_server_is_back(
    travel, make_outbox_rows, outbox_kind, monkeypatch
):
    [row_id] = make_outbox_rows(1)
    with monkeypatch.context() as patch:
        patch.setattr(locmem.EmailBackend, "send_messages", refuse_smtp)
        assert scheduling.dispatch_kind(outbox_kind) == 1
    row = OutboxMessage.objects.get(pk=row_id)
    assert (row.status, len(mail.outbox)) == (DueStatus.PENDING, 0)

    travel.to(row.due_at)
    assert scheduling.dispatch_kind(outbox_kind) == 1
    travel.by(timedelta(days=1))
    assert scheduling.dispatch_kind(outbox_kind) == 0

    row.refresh_from_db()
    assert (row.status, row.attempts) == (DueStatus.DONE, 2)
    assert len(mail.outbox) == 1


@transactional
def test_it_fails_a_refused_recipient_alone_and_sends_the_rest(
    make_outbox_rows, outbox_kind, monkeypatch
):
    ids = make_outbox_rows(3)
    real_send = locmem.EmailBackend.send_messages

    def refuse_person1(self, messages):
        if messages[0].to == ["person1@example.test"]:
            raise smtplib.SMTPRecipientsRefused({"person1@example.test": (550, b"No such user")})
        return real_send(self, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse_person1)
    assert scheduling.dispatch_kind(outbox_kind) == 3

    assert sent_keys() == keys_of([ids[0], ids[2]])
    failed = OutboxMessage.objects.get(status=DueStatus.FAILED)
    assert failed.to_email == "person1@example.test" and "550" in failed.last_error


@transactional
def test_it_hands_out_bounded_batches_at_a_few_queries_per_message(
    make_outbox_rows, outbox_kind, settings
):
    settings.DUE_BATCH_SIZE = 50
    settings.DUE_DISPATCH_BATCHES = 2
    ids = make_outbox_rows(200)
    with CaptureQueriesContext(connection) as queries:
        # Eagerly, each batch runs as it is handed over and tops the queue up when done.
        scheduling.dispatch_kind(outbox_kind)
    claims = [query["sql"] for query in queries if "SKIP LOCKED" in query["sql"]]
    assert len(claims) >= 4 and all(re.search(r"LIMIT (\d+)", sql) for sql in claims)
    assert max(int(re.search(r"LIMIT (\d+)", sql).group(1)) for sql in claims) == 50
    assert sent_keys() == keys_of(ids)
    # A handful of queries per batch and one status update per message, not a task per row.
    per_message = len(queries) / len(ids)
    assert per_message < 1.5, per_message


@pytest.mark.django_db
def test_it_keeps_at_most_the_set_number_of_batches_waiting_for_workers(
    make_outbox_rows, outbox_kind, settings, monkeypatch
):
    settings.DUE_BATCH_SIZE = 2
    settings.DUE_DISPATCH_BATCHES = 3
    make_outbox_rows(20)
    enqueued = []
    monkeypatch.setattr(run_due_batch, "delay", lambda kind, ids: enqueued.append(ids))

    with transaction.atomic():
        assert scheduling.dispatch_kind(outbox_kind) == 6
    # No worker took them yet: another sweep claims nothing more.
    with transaction.atomic():
        assert scheduling.dispatch_kind(outbox_kind) == 0
    assert scheduling.waiting_batches(outbox_kind, clock.now()) == 3


def broker_down(*args, **kwargs):
    # Redis is the edge of the world: here it is unreachable.
    raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")


@transactional
def test_it_keeps_the_mail_when_the_broker_is_down_at_enqueue(outbox_kind, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(dispatch_due, "delay", broker_down)
        outbox_enqueue(key="k", to_email="a@example.test", subject="Hi", body_text="Hello")

    assert OutboxMessage.objects.get().status == DueStatus.PENDING
    assert mail.outbox == []
    # The minute's sweep sends it.
    assert scheduling.dispatch_kind(outbox_kind) == 1
    assert sent_keys() == ["k"]


@transactional
def test_it_leaves_claims_to_the_lease_when_the_broker_is_down(
    travel, make_outbox_rows, outbox_kind, lease, monkeypatch
):
    ids = make_outbox_rows(3)
    with monkeypatch.context() as patch:
        patch.setattr(run_due_batch, "delay", broker_down)
        assert scheduling.dispatch_kind(outbox_kind) == 3

    assert statuses() == {DueStatus.CLAIMED: 3}
    travel.by(lease + timedelta(seconds=1))
    assert scheduling.dispatch_kind(outbox_kind) == 3
    assert sent_keys() == keys_of(ids)


@pytest.fixture
def steps_kind():
    """A job kind with two steps: the first says when the second is due."""
    steps = []

    def work(jobs):
        steps.extend(job.pk for job in jobs)
        later = clock.now() + timedelta(days=2)
        return {job.pk: later for job in jobs if steps.count(job.pk) == 1}

    scheduling.register_due_kind("test_steps", "notifications.Job", work, only={"kind": "steps"})
    yield steps
    scheduling._kinds.pop("test_steps")


@pytest.mark.django_db
def test_it_puts_a_row_back_to_pending_when_its_work_says_when_it_is_due_next(travel, steps_kind):
    job = Job.objects.create(kind="steps", target_id=1)

    assert scheduling.run_now("test_steps", [job.pk]) == 1
    job.refresh_from_db()
    assert (job.status, job.attempts) == (DueStatus.PENDING, 0)
    # Not due yet: nothing runs, however often it is handed over.
    assert scheduling.run_now("test_steps", [job.pk]) == 0
    travel.to(job.due_at)
    assert scheduling.run_now("test_steps", [job.pk]) == 1
    assert Job.objects.get(pk=job.pk).status == DueStatus.DONE
    assert steps_kind == [job.pk, job.pk]


@pytest.fixture
def picky_kind():
    """A job kind whose work fails for target 13, whichever batch it is in."""

    def work(jobs):
        if any(job.target_id == 13 for job in jobs):
            raise ValueError("unlucky")
        return {}

    scheduling.register_due_kind("test_picky", "notifications.Job", work, only={"kind": "picky"})
    yield
    scheduling._kinds.pop("test_picky")


@pytest.mark.django_db
def test_it_finishes_the_rest_of_a_batch_when_one_row_fails(picky_kind):
    for target in (12, 13, 14):
        Job.objects.create(kind="picky", target_id=target)

    assert scheduling.run_now("test_picky") == 2
    jobs = {job.target_id: job for job in Job.objects.all()}
    assert jobs[12].status == jobs[14].status == DueStatus.DONE
    assert (jobs[13].status, jobs[13].attempts) == (DueStatus.PENDING, 1)
    assert jobs[13].last_error == "ValueError: unlucky"
