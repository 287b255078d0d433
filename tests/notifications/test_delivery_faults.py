"""Delivery survives its parts failing: real worker, beat and Redis processes, real PostgreSQL and a
real SMTP server as the sink. Each test breaks something mid-send and counts the mails that arrive:
none lost, none doubled, except that a message the SMTP server had accepted when its worker or its
database connection died may come once more, with the same Message-ID for the receiver to drop."""

import os
import time
from collections import Counter

import pytest
from django.db import connection

from cohorts.models import CohortRole, Enrolment
from notifications.models import OutboxMessage
from sparks.models import Delivery, Spark
from tests import factories
from tests.live_worker import RedisServer, flush_redis, live_celery
from tests.smtp_sink import SmtpSink

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ASKS = 300
# Quick leases and retries, so lost work comes back within seconds rather than minutes.
FAST = {
    "DUE_LEASE_SECONDS": "4",
    "DUE_RETRY_BASE_SECONDS": "1",
    "DUE_BATCH_SIZE": "40",
    "DUE_DISPATCH_EVERY_SECONDS": "1",
}


def _redis_url() -> str:
    # This run's own Redis database (one per xdist worker, tests/environment.py): the processes'
    # broker, flushed at the start and end of each test.
    return os.environ["REDIS_URL"]


@pytest.fixture
def due_asks(world) -> set[str]:
    """ASKS open spark asks due now, one per participant; the outbox keys their mails will carry."""
    spark = Spark.objects.create(cohort=world.cohort, question="What did you try?", offset_days=1)
    people = factories.users_bulk_create([f"p{n}@faults.test" for n in range(ASKS)])
    Enrolment.objects.bulk_create(
        Enrolment(cohort=world.cohort, user=p, role=CohortRole.PARTICIPANT) for p in people
    )
    asks = Delivery.objects.bulk_create(Delivery(spark=spark, participant=p) for p in people)
    return {f"notify:{ask.participant_id}:spark:{ask.pk}" for ask in asks}


def wait_until(condition, *, timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


def assert_each_once(sink: SmtpSink, expected: set[str], *, may_repeat: int = 0) -> None:
    """Every expected mail arrived; a repeat only for a message in flight, with its Message-ID."""
    keys = Counter(message["X-Outbox-Key"] for message in sink.messages)
    assert expected - set(keys) == set(), "lost"
    assert set(keys) == expected
    repeated = [key for key, count in keys.items() if count > 1]
    assert len(repeated) <= may_repeat, repeated
    for key in repeated:
        ids = {m["Message-ID"] for m in sink.messages if m["X-Outbox-Key"] == key}
        assert len(ids) == 1, ids


def _env(sink: SmtpSink, **extra) -> dict[str, str]:
    return {"EMAIL_URL": f"smtp://127.0.0.1:{sink.port}", "LOG_LEVEL": "WARNING", **FAST, **extra}


def test_it_loses_and_doubles_nothing_with_a_worker_killed_mid_batch_a_flushed_broker_and_two_beats(
    due_asks, tmp_path
):
    with (
        SmtpSink(delay=0.004) as sink,
        live_celery(
            folder=tmp_path,
            database_name=connection.settings_dict["NAME"],
            redis_url=_redis_url(),
            **_env(sink),
        ) as live,
    ):
        worker = live.start_worker(name="worker", concurrency=2)
        # Two dispatchers at once: rows are claimed with SKIP LOCKED, never twice.
        live.start_beat(name="beat")
        live.start_beat(name="beat2")
        assert wait_until(lambda: sink.count >= 60, timeout=120), live.output()
        # Killed mid-batch (kill -9: no goodbye), and every task in the broker lost with it.
        live.kill(worker)
        flush_redis(_redis_url())
        live.start_worker(name="worker-again", concurrency=2)
        assert wait_until(lambda: len(set(due_asks) & sink.keys()) == ASKS, timeout=120), (
            live.output()
        )
        sink.wait_quiet(seconds=6, timeout=30)
        live.check_running()
    # A message the server accepted as the worker was killed may repeat: one per pool process.
    assert_each_once(sink, due_asks, may_repeat=2)


def test_it_carries_on_by_itself_after_redis_is_down_for_a_minute(due_asks, tmp_path):
    outage = int(os.environ.get("REDIS_OUTAGE_SECONDS", "60"))
    redis_server = RedisServer(tmp_path).start()
    try:
        with (
            SmtpSink(delay=0.01) as sink,
            live_celery(
                folder=tmp_path,
                database_name=connection.settings_dict["NAME"],
                redis_url=redis_server.url,
                **_env(sink),
            ) as live,
        ):
            worker = live.start_worker(concurrency=2)
            beat = live.start_beat()
            assert wait_until(lambda: sink.count >= 30, timeout=120), live.output()
            redis_server.stop()
            time.sleep(outage)
            redis_server.start()
            assert wait_until(lambda: len(sink.keys()) == ASKS, timeout=180), live.output()
            sink.wait_quiet(seconds=6, timeout=30)
            # The same worker and beat, never restarted by hand.
            live.check_running()
            assert worker.poll() is None and beat.poll() is None
    finally:
        redis_server.stop()
    assert_each_once(sink, due_asks)


def test_it_sends_once_the_smtp_server_is_back_and_survives_its_database_connection_dying(
    due_asks, tmp_path
):
    sink = SmtpSink(delay=0.01)
    with live_celery(
        folder=tmp_path,
        database_name=connection.settings_dict["NAME"],
        redis_url=_redis_url(),
        **_env(sink),
    ) as live:
        live.start_worker(concurrency=2)
        live.start_beat()
        # Nothing listens on the SMTP port yet: the first batches fail and back off.
        refused = OutboxMessage.objects.filter(attempts__gte=1, status="pending")
        assert wait_until(refused.exists, timeout=60), live.output()
        time.sleep(1)
        sink.start()
        try:
            assert wait_until(lambda: sink.count >= 40, timeout=120), live.output()
            # Every database connection of the worker and beat is cut mid-batch.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            assert wait_until(lambda: len(sink.keys()) == ASKS, timeout=120), live.output()
            sink.wait_quiet(seconds=6, timeout=30)
            live.check_running()
        finally:
            sink.stop()
    # At most the message in flight in each of the two pool processes comes again.
    assert_each_once(sink, due_asks, may_repeat=2)
    assert Delivery.objects.filter(sent_at__isnull=True).count() == 0
    assert not OutboxMessage.objects.exclude(status="done").exists()
