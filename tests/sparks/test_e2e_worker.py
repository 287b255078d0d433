"""End to end: real Celery worker and beat processes, real Redis and PostgreSQL, a real SMTP
server as the sink, and a settable clock the processes read. One mail per due delivery, once."""

import os
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection

from notifications.scheduling import DueStatus
from socialtraining import clock
from sparks import planning
from sparks.models import Delivery, DeliveryStep
from tests import factories
from tests.live_worker import Clock, live_celery
from tests.smtp_sink import SmtpSink, text_of

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _redis_url() -> str:
    # This run's own Redis database (one per xdist worker, tests/environment.py): the processes'
    # broker, flushed before and after.
    return os.environ["REDIS_URL"]


def _outbox_keys(sink: SmtpSink) -> Counter:
    return Counter(message["X-Outbox-Key"] for message in sink.messages)


def test_it_mails_each_due_delivery_exactly_once_through_real_worker_and_beat(
    world, knowledge_spark, open_spark, tmp_path
):
    for n in range(7):
        factories.EnrolmentFactory(
            cohort=world.cohort, user=factories.UserFactory(email=f"late{n}@example.test")
        )
    planning.sparks_plan(cohort=world.cohort)
    first = Delivery.objects.filter(spark=knowledge_spark)
    due = list(first.values_list("pk", flat=True))
    assert len(due) == 10
    later = Delivery.objects.filter(spark=open_spark)
    assert later.count() == 10
    process_clock = Clock(tmp_path / "clock")
    # The knowledge spark's day has come; the open spark's, twelve days later, has not.
    process_clock.set(max(d.due_at for d in first) + timedelta(minutes=1))

    with (
        SmtpSink() as sink,
        live_celery(
            folder=tmp_path,
            database_name=connection.settings_dict["NAME"],
            redis_url=_redis_url(),
            EMAIL_URL=f"smtp://127.0.0.1:{sink.port}",
            CLOCK_FILE=str(process_clock.path),
            DUE_DISPATCH_EVERY_SECONDS="1",
        ) as live,
    ):
        live.start_worker(concurrency=2)
        live.start_beat()
        received = sink.wait_for(len(due), timeout=90)
        live.check_running()
        assert received == len(due), live.output()
        # Beat dispatches every second: several more sweeps find nothing left to send.
        assert sink.wait_quiet(seconds=4, timeout=30) == len(due)
        keys = _outbox_keys(sink)
        assert set(keys.values()) == {1}
        assert set(keys) == {f"notify:{d.participant_id}:spark:{d.pk}" for d in first}
        assert {m["To"] for m in sink.messages} == {d.participant.email for d in first}
        assert all("/sparks/pick/" in text_of(m) for m in sink.messages)
        assert set(first.values_list("step", "status")) == {
            (DeliveryStep.REMIND, DueStatus.PENDING)
        }
        assert not later.exclude(status=DueStatus.PENDING).exists()

        # Two days later by the clock: one reminder each, nothing sent again.
        sent_at = max(first.values_list("sent_at", flat=True))
        process_clock.set(sent_at + timedelta(hours=49))
        assert sink.wait_for(2 * len(due), timeout=60) == 2 * len(due), live.output()
        assert sink.wait_quiet(seconds=4, timeout=30) == 2 * len(due)
        keys = _outbox_keys(sink)
        assert set(keys.values()) == {1}
        assert sum(1 for key in keys if ":spark-reminder:" in key) == len(due)
        # Each worker process keeps its SMTP connection open rather than one per message.
        assert 1 <= sink.sessions <= 4, sink.sessions
        assert set(first.values_list("step", flat=True)) == {DeliveryStep.EXPIRE}
    assert clock.now() < min(later.values_list("due_at", flat=True))
