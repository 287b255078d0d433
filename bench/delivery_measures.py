"""Delivery: spark asks and a prompt release end to end, through real workers into SMTP."""

from __future__ import annotations

import os
import secrets
import statistics
import time
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from socialtraining import clock

if TYPE_CHECKING:
    from cohorts.models import Cohort

# How many due deliveries `spark_dispatch` sends (BENCH_SPARK_DELIVERIES for a quicker run).
SPARK_DELIVERIES = int(os.environ.get("BENCH_SPARK_DELIVERIES", "100000"))
SPARK_PARTICIPANTS = 1_000
# Deliveries sent in this process first, to count the queries per delivery of the same code.
QUERY_SAMPLE = 2_000
SPARK_TIMEOUT_SECONDS = int(os.environ.get("BENCH_SPARK_TIMEOUT", "1800"))
PROMPT_PEOPLE = 5_000
CEILING_MESSAGES = 5_000


def spark_deliveries_create(n: int) -> Cohort:
    """A cohort of SPARK_PARTICIPANTS participants and enough open sparks for n due deliveries."""
    from accounts.models import Organization, User
    from cohorts.models import Cohort, CohortRole, Enrolment, WorkshopSession
    from sparks.models import Delivery, Spark

    now = clock.now()
    org = Organization.objects.create(
        name="Spark bench", slug=f"spark-bench-{secrets.token_hex(3)}"
    )
    cohort = Cohort.objects.create(organization=org, name="Spark bench cohort")
    WorkshopSession.objects.create(
        cohort=cohort, starts_at=now - timedelta(days=3, hours=6), ends_at=now - timedelta(days=3)
    )
    people = min(SPARK_PARTICIPANTS, n)
    users = User.objects.bulk_create(
        [
            User(email=f"p{i}@{org.slug}.test", display_name=f"P {i}", password="!")
            for i in range(people)
        ],
        batch_size=5000,
    )
    Enrolment.objects.bulk_create(
        [Enrolment(cohort=cohort, user=u, role=CohortRole.PARTICIPANT) for u in users],
        batch_size=5000,
    )
    sparks = Spark.objects.bulk_create(
        [Spark(cohort=cohort, question=f"What did you try this week? ({k})", offset_days=1)
         for k in range(-(-n // people))]
    )  # fmt: skip
    rows = (
        Delivery(spark=spark, participant=user, due_at=now - timedelta(minutes=1))
        for spark in sparks
        for user in users
    )
    created = 0
    while created < n:
        batch = [row for _, row in zip(range(min(5000, n - created)), rows, strict=False)]
        Delivery.objects.bulk_create(batch)
        created += len(batch)
    return cohort


def _process_tree(pid: int, file: str) -> Iterator[str]:
    """The /proc file `file` (status, stat) of a process and of each of its living children."""
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            text = Path(f"/proc/{current}/{file}").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        yield text
        todo.extend(int(child) for child in children)


def _group_rss_kb(pid: int) -> int:
    """The largest resident set (kB) of a process and its children (the worker's pool)."""
    return max(
        (
            int(line.split()[1])
            for status in _process_tree(pid, "status")
            for line in status.splitlines()
            if line.startswith("VmRSS:")
        ),
        default=0,
    )


def _group_cpu_seconds(pid: int) -> float:
    """CPU time (user and system) a process and its living children have used so far."""
    # utime and stime, in clock ticks: the 14th and 15th fields, after the command's name.
    ticks = sum(
        int(fields[11]) + int(fields[12])
        for fields in (stat.rpartition(")")[2].split() for stat in _process_tree(pid, "stat"))
    )
    return ticks / os.sysconf("SC_CLK_TCK")


def _machine_busy_seconds() -> float:
    """CPU time every core of this machine has spent busy so far (all processes, the database's
    short-lived backends included)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    # user, nice, system, idle, iowait, irq, softirq, steal: all but idle and iowait are busy.
    busy = sum(fields[:8]) - fields[3] - fields[4]
    return busy / os.sysconf("SC_CLK_TCK")


def _smtp_mailers(port: int) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 30},
        }
    }


def queries_per_delivery(sample: int, port: int) -> float:
    """The first `sample` due asks sent through the same batches as the workers run them (spark
    step, then the outbox over SMTP), in this process, counting every query: amortised per ask."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext, override_settings

    from notifications import scheduling
    from notifications.outbox import sent_by_this_run

    spark_kind, outbox_kind = (scheduling.due_kind(k) for k in ("spark_delivery", "outbox"))
    # One SMTP session a batch: the sessions a batch's parts open side by side run on their own
    # database connections, which this count would not see (the statements are the same).
    one_session = override_settings(MAILERS=_smtp_mailers(port), OUTBOX_SMTP_SESSIONS=1)
    with one_session, CaptureQueriesContext(connection) as q:
        # As a worker runs them: the spark batches send their own emails; the outbox kind finds
        # whatever is left.
        for kind, limit in ((spark_kind, sample), (outbox_kind, None)):
            done = 0
            while limit is None or done < limit:
                with transaction.atomic():
                    ids = scheduling.claim_due_rows(kind)
                if not ids:
                    break
                with sent_by_this_run(kind):
                    scheduling.run_batch(kind, ids)
                done += len(ids)
    return len(q.captured_queries) / sample


def smtp_ceiling(port: int, cohort: Cohort) -> float:
    """The same messages (this run's spark asks, as the query sample sent them), rendered
    beforehand, sent by a bare loop over one SMTP connection into the same kind of sink, with the
    outbox's own mail transactions (pipelined, as the sink offers it): how fast this set-up takes
    mail at all, whatever the platform does around it.

    The loop runs in a process of its own, as the workers do: beside the sink in this process it
    would share the sink's interpreter lock and slow it down. One run of a few seconds varies by a
    fifth from one to the next (where the scheduler puts the two processes): the median of three.
    """
    import multiprocessing

    from notifications.models import OutboxMessage
    from notifications.outbox import message_bytes

    rows = list(
        OutboxMessage.objects.select_related("template")
        .filter(idempotency_key__contains=":spark:")
        .filter(to_email__endswith=f"@{cohort.organization.slug}.test")
        .order_by("pk")
    )
    # Rendered beforehand: writing a message out is the platform's work, not the sink's.
    rendered = [(row.to_email, message_bytes(row)) for row in rows]
    messages = [rendered[i % len(rendered)] for i in range(CEILING_MESSAGES)]
    with multiprocessing.get_context("fork").Pool(1) as pool:
        return statistics.median(pool.apply(_bare_loop_rate, (port, messages)) for _ in range(3))


def _bare_loop_rate(port: int, messages: list[tuple[str, bytes]]) -> float:
    import smtplib

    from notifications.smtp import mail_transactions

    envelopes = [(to, partial(bytes, data)) for to, data in messages]
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        started = time.perf_counter()
        refused = sum(1 for error in mail_transactions(smtp, "bench@localhost", envelopes) if error)
        elapsed = time.perf_counter() - started
    assert not refused, f"the sink refused {refused} messages"
    return len(envelopes) / elapsed


def prompt_release_start():
    """A 5,000-person cohort, then "Publish now" on a prompt for it; (the moment it was
    published, the prompt). Its release, notifications and emails are the workers' to do."""
    from accounts.models import Organization, User
    from cohorts.models import Cohort, CohortRole, Enrolment
    from discussions.prompts import prompt_create

    org = Organization.objects.create(name="Prompt bench", slug=f"prompt-{secrets.token_hex(3)}")
    cohort = Cohort.objects.create(organization=org, name="Five thousand")
    instructor = User.objects.create(email=f"teacher@{org.slug}.test", password="!")
    people = User.objects.bulk_create(
        [User(email=f"q{i}@{org.slug}.test", password="!") for i in range(PROMPT_PEOPLE)],
        batch_size=5000,
    )
    Enrolment.objects.bulk_create(
        [Enrolment(cohort=cohort, user=u, role=CohortRole.PARTICIPANT) for u in people]
        + [Enrolment(cohort=cohort, user=instructor, role=CohortRole.INSTRUCTOR)],
        batch_size=5000,
    )
    started = time.perf_counter()
    prompt = prompt_create(
        cohort=cohort,
        author=instructor,
        kind="question",
        title="What will you try first?",
        body="One sentence: the **first** thing you will try on Monday.",
    )
    return started, prompt


def spark_dispatch() -> dict[str, float | int]:
    """Due spark asks sent end to end (dispatcher, spark batches, outbox batches over SMTP) by one
    Celery worker of 2 processes, a dispatcher and beat, into a local SMTP server; then a prompt
    released to 5,000 people through the same processes."""
    import tempfile

    from django.core.management import call_command
    from django.db import connection

    from notifications.models import Notification, OutboxMessage
    from notifications.tasks import dispatch_due
    from sparks.models import Delivery
    from tests.live_worker import live_celery
    from tests.smtp_sink import SmtpSink

    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url or connection.vendor != "postgresql":
        print("spark_dispatch: needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL); skipped")
        return {}
    call_command("migrate", interactive=False, verbosity=0)
    total = SPARK_DELIVERIES + QUERY_SAMPLE
    cohort = spark_deliveries_create(total)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    metrics: dict[str, float | int] = {}
    with tempfile.TemporaryDirectory() as folder, SmtpSink(keep_bodies=False) as sink:
        metrics["spark_dispatch_queries_per_delivery"] = round(
            queries_per_delivery(QUERY_SAMPLE, sink.port), 2
        )
        # Before the run, on a quiet machine: after it, PostgreSQL vacuums the rows it changed.
        with SmtpSink(keep_bodies=False) as ceiling_sink:
            metrics["smtp_ceiling_per_s"] = round(smtp_ceiling(ceiling_sink.port, cohort), 1)
        n = total - QUERY_SAMPLE
        connection.close()
        print(f"spark_dispatch: {n} due deliveries", flush=True)
        # Counted by kind: the seeded organisation's own mail may arrive meanwhile.
        asks_base = sink.kind_counts["spark"]
        peak_kb = 0
        with live_celery(
            folder=Path(folder),
            database_name=connection.settings_dict["NAME"],
            redis_url=redis_url,
            EMAIL_URL=f"smtp://127.0.0.1:{sink.port}",
            CONN_MAX_AGE="600",
            LOG_LEVEL="WARNING",
        ) as live:
            worker = live.start_worker(concurrency=2, queues="celery")
            dispatcher = live.start_worker(name="dispatcher", concurrency=1, queues="dispatch")
            live.wait_ready(timeout=120)
            cpu_before = [_group_cpu_seconds(p.pid) for p in (worker, dispatcher)]
            # This process's CPU is the sink's: the loop below sleeps.
            sink_before = time.process_time()
            machine_before = _machine_busy_seconds()
            started = time.perf_counter()
            # Beat sweeps each minute, as in production; the asks are due now, as if its sweep
            # had just come: the dispatcher starts at once, then each full batch tops it up.
            live.start_beat()
            dispatch_due.delay()
            deadline = started + SPARK_TIMEOUT_SECONDS
            last_report = started
            while sink.kind_counts["spark"] - asks_base < n:
                live.check_running()
                if time.perf_counter() > deadline:
                    sent = sink.kind_counts["spark"] - asks_base
                    raise RuntimeError(f"spark_dispatch: {sent} of {n} in time")
                peak_kb = max(peak_kb, _group_rss_kb(worker.pid))
                if time.perf_counter() - last_report > 15:
                    last_report = time.perf_counter()
                    sent = sink.kind_counts["spark"] - asks_base
                    print(f"  {sent} sent, {sent / (last_report - started):.0f}/s", flush=True)
                time.sleep(0.2)
            elapsed = time.perf_counter() - started
            cpu_ms = [
                round((_group_cpu_seconds(p.pid) - before) * 1000 / n, 3)
                for p, before in zip((worker, dispatcher), cpu_before, strict=True)
            ]
            sink_ms = round((time.process_time() - sink_before) * 1000 / n, 3)
            machine_ms = round((_machine_busy_seconds() - machine_before) * 1000 / n, 3)
            sink.wait_quiet(seconds=2, timeout=10)
            # Exactly once: every ask's email arrived, none twice. (Other mail may arrive beside
            # them: the seeded organisation's own reminders come due as the clock moves on.)
            twice = [key for key, seen in sink.key_counts.items() if seen > 1]
            assert not twice, f"{len(twice)} emails arrived twice, e.g. {twice[:3]}"
            asks = sum(1 for key in sink.key_counts if ":spark:" in key)
            assert asks == total, f"{asks} spark emails for {total} deliveries"
            metrics |= {
                "spark_dispatch_per_s": round(n / elapsed, 1),
                "spark_worker_peak_rss_mb": round(peak_kb / 1024, 1),
                "spark_dispatch_deliveries": n,
                # Where the CPU of a delivery goes.
                "spark_worker_cpu_ms_per_delivery": cpu_ms[0],
                "spark_dispatcher_cpu_ms_per_delivery": cpu_ms[1],
                "spark_sink_cpu_ms_per_delivery": sink_ms,
                # The whole machine's: the rest is PostgreSQL's, Redis's and the kernel's.
                "spark_machine_cpu_ms_per_delivery": machine_ms,
            }
            print(f"spark_dispatch: {metrics}", flush=True)

            # A prompt released to 5,000 people, by the processes that are already running.
            before = sink.kind_counts["prompt"]
            release_started, prompt = prompt_release_start()
            told = Notification.objects.filter(key__startswith=f"prompt:{prompt.pk}:")
            # The sink's count is in memory; the inboxes' is a scan of every notification (over
            # 100,000 by now), asked only once the emails are in, not twenty times a second
            # beside the workers it is timing.
            while (
                sink.kind_counts["prompt"] - before < PROMPT_PEOPLE or told.count() < PROMPT_PEOPLE
            ):
                live.check_running()
                if time.perf_counter() - release_started > 120:
                    raise RuntimeError("prompt_release: not everyone was told within 2 minutes")
                time.sleep(0.05)
            metrics["prompt_release_5000_seconds"] = round(time.perf_counter() - release_started, 2)
    # This run's own asks (the seeded organisation's rows that came due meanwhile may have
    # scheduled repeats for later days; an earlier run on a kept database has its own).
    bench_asks = Delivery.objects.filter(spark__cohort=cohort)
    assert not bench_asks.filter(sent_at__isnull=True).exists()
    emails = OutboxMessage.objects.filter(idempotency_key__contains=":spark:")
    assert emails.filter(to_email__endswith=f"@{cohort.organization.slug}.test").count() == total
    metrics["spark_dispatch_share_of_smtp_ceiling"] = round(
        metrics["spark_dispatch_per_s"] / metrics["smtp_ceiling_per_s"], 2
    )
    return metrics
