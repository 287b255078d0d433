"""Seed a fresh benchmark database at scale, time the pages that matter, write bench/results.json.

Run from the repository root (`make bench`). With DATABASE_URL pointing at PostgreSQL the benchmark
uses `<name>_bench` on the same server, dropped and created afresh; otherwise a fresh SQLite file,
var/bench.sqlite3. Metrics already in results.json that this run does not measure are kept.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import time
import warnings
from datetime import timedelta
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from socialtraining import clock

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
SCALE = 50_000
WARM_RUNS = 20


def fresh_postgres_url(url: str) -> str:
    """Drop and create `<name>_bench` next to the database in `url`; return its URL."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "postgres"
    bench_name = name if name.endswith("_bench") else f"{name}_bench"
    # Connect to the maintenance database: one cannot drop the database one is connected to.
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        quoted = sql.Identifier(bench_name)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(quoted))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(quoted))
    return urlunsplit(parts._replace(path=f"/{bench_name}"))


def fresh_sqlite_url() -> str:
    path = ROOT / "var" / "bench.sqlite3"
    path.parent.mkdir(exist_ok=True)
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    return f"sqlite:///{path}"


def configure_environment() -> None:
    import environ

    # The same .env the settings read, so `make bench` sees the developer's DATABASE_URL.
    environ.Env.read_env(ROOT / ".env", overwrite=False)
    url = os.environ.get("DATABASE_URL", "")
    is_postgres = urlsplit(url).scheme.startswith(("postgres", "pgsql"))
    os.environ["DATABASE_URL"] = fresh_postgres_url(url) if is_postgres else fresh_sqlite_url()
    # A production-like run (no DEBUG query log), reached over plain HTTP by the test client.
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ["SESSION_COOKIE_SECURE"] = "false"
    os.environ["CSRF_COOKIE_SECURE"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialtraining.settings")
    # whitenoise looks for STATIC_ROOT, which the benchmark does not build (the finders serve).
    warnings.filterwarnings("ignore", "No directory at", UserWarning)


def git_short_sha() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return result.stdout.strip() or "unknown"


def time_page(client, path: str, runs: int) -> float:
    """Median wall time in milliseconds of `runs` GETs after one warm-up request."""
    assert client.get(path).status_code == 200
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(timings)


def count_queries(client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def measure() -> dict[str, float | int]:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    from accounts.models import User
    from demo.seeding import BENCH_MANAGER, BENCH_SLUG, BENCH_SURVEY_COHORT
    from discussions.models import Thread
    from surveys.models import Round

    metrics: dict[str, float | int] = {}
    call_command("migrate", interactive=False, verbosity=0)

    started = time.perf_counter()
    seed_output = StringIO()
    call_command("seed_demo", scale=SCALE, verbosity=0, stdout=seed_output)
    metrics["seed_50k_seconds"] = round(time.perf_counter() - started, 2)
    print(f"seed_50k_seconds: {metrics['seed_50k_seconds']}", flush=True)
    metrics |= seed_activity_metrics(seed_output.getvalue())
    print(f"activity_records: {metrics.get('activity_records')}", flush=True)
    # Fresh statistics, as autovacuum would gather soon after: without them the planner guesses
    # on tables just filled with millions of rows (the survey results page took 20 times longer).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    # Static files are served by the finders: the benchmark must not need a collectstatic manifest.
    with override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
    ):
        client = Client()
        client.force_login(
            User.objects.get(email=BENCH_MANAGER),
            backend="django.contrib.auth.backends.ModelBackend",
        )
        home = reverse("home")
        metrics["home_manager_ms_p50"] = round(time_page(client, home, WARM_RUNS), 1)
        metrics["home_manager_queries"] = count_queries(client, home)

        # The busy cohort space seeded by bench_conversations_create.
        busiest = Thread.objects.filter(cohort__organization__slug=BENCH_SLUG).order_by(
            "-reply_count"
        )[0]
        feed = reverse("discussions:feed", args=[busiest.cohort_id])
        metrics["cohort_feed_ms_p50"] = round(time_page(client, feed, WARM_RUNS), 1)
        metrics["cohort_feed_queries"] = count_queries(client, feed)
        thread = reverse("discussions:thread", args=[busiest.cohort_id, busiest.pk])
        metrics["thread_page_ms_p50"] = round(time_page(client, thread, WARM_RUNS), 1)
        metrics["thread_page_queries"] = count_queries(client, thread)
        metrics["thread_floor_ms_p50"] = round(time_thread_floor(busiest, WARM_RUNS), 1)

        # The organisation-wide refresher: 5,000 responses to 20 questions.
        refresher = Round.objects.get(
            cohort__organization__slug=BENCH_SLUG, cohort__name=BENCH_SURVEY_COHORT
        )
        survey_results = reverse("surveys:results", args=[refresher.cohort_id, refresher.pk])
        metrics["survey_results_ms_p50"] = round(time_page(client, survey_results, WARM_RUNS), 1)
        metrics["survey_results_queries"] = count_queries(client, survey_results)
        metrics |= measure_dashboards(client)
    return metrics


def time_thread_floor(thread, runs: int) -> float:
    """The thread page's template rendered from objects already in memory: the floor.

    The context is loaded once by the view's own code; each timed run only renders it, and must
    not touch the database (asserted), so the gap to thread_page_ms_p50 is what the queries cost.
    """
    from django.db import connection
    from django.template import Context
    from django.template.loader import get_template
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from demo.seeding import BENCH_MANAGER
    from discussions import access
    from discussions.views import thread_page_context

    user = User.objects.get(email=BENCH_MANAGER)
    request = RequestFactory().get(f"/cohorts/{thread.cohort_id}/threads/{thread.pk}/")
    request.user = user
    request.htmx = False
    context = thread_page_context(request, access.get_thread_for(user, thread.cohort_id, thread.pk))
    # What the context processors would add, given as values so rendering needs no queries.
    context |= {
        "request": request,
        "user": user,
        "csrf_token": "x" * 64,
        "unread_notification_count": 0,
        "messages": [],
    }
    template = get_template("discussions/thread.html").template
    template.render(Context(context))
    timings = []
    with CaptureQueriesContext(connection) as captured:
        for _ in range(runs):
            started = time.perf_counter()
            template.render(Context(context))
            timings.append((time.perf_counter() - started) * 1000)
    assert not captured.captured_queries, captured.captured_queries[:3]
    return statistics.median(timings)


def seed_activity_metrics(seed_output: str) -> dict[str, float | int]:
    """`activity_records` and `seed_activity_seconds` from the summary seed_demo prints."""
    metrics: dict[str, float | int] = {}
    records = re.search(r"(\d+) activity records", seed_output)
    seconds = re.search(r"([\d.]+) activity seconds", seed_output)
    if records:
        metrics["activity_records"] = int(records.group(1))
    if seconds:
        metrics["seed_activity_seconds"] = float(seconds.group(1))
    return metrics


def dashboard_cohort():
    """A cohort of about 100 participants whose workshop ended closest to two months ago."""
    from django.db.models import Count, Q

    from cohorts.models import Cohort, CohortRole
    from demo.seeding import BENCH_SLUG

    two_months_ago = clock.now() - timedelta(days=60)
    cohorts = (
        Cohort.objects.filter(organization__slug=BENCH_SLUG)
        .with_schedule()
        .filter(last_session_end__isnull=False)
        .annotate(
            size=Count(
                "enrolments",
                filter=Q(enrolments__role=CohortRole.PARTICIPANT),
                # with_schedule joins the sessions: count each enrolment once.
                distinct=True,
            )
        )
        .filter(size__gte=90)
    )
    return min(cohorts, key=lambda c: abs(c.last_session_end - two_months_ago))


def measure_dashboards(client) -> dict[str, float | int]:
    """The insights dashboards as the bench manager sees them, after one rollup refresh.

    Skipped with a message while the insights app does not provide its URLs yet.
    """
    from django.urls import NoReverseMatch, reverse

    cohort = dashboard_cohort()
    try:
        org_dashboard = reverse("insights:org_dashboard")
        cohort_dashboard = reverse("insights:cohort_dashboard", args=[cohort.pk])
    except NoReverseMatch:
        print(
            "dashboards skipped: insights:org_dashboard and insights:cohort_dashboard do not "
            "resolve on this branch yet",
            flush=True,
        )
        return {}
    from insights.rollups import rollups_refresh

    metrics: dict[str, float | int] = {}
    started = time.perf_counter()
    # The dashboards read rollup tables: bring them up to date first, as beat would.
    rollups_refresh()
    metrics["rollups_refresh_seconds"] = round(time.perf_counter() - started, 2)
    metrics["org_dashboard_ms_p50"] = round(time_page(client, org_dashboard, WARM_RUNS), 1)
    metrics["org_dashboard_queries"] = count_queries(client, org_dashboard)
    metrics["cohort_dashboard_ms_p50"] = round(time_page(client, cohort_dashboard, WARM_RUNS), 1)
    metrics["cohort_dashboard_queries"] = count_queries(client, cohort_dashboard)
    return metrics


def write_results(metrics: dict[str, float | int], vendor: str) -> dict:
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update(metrics)
    results["_meta"] = {
        "scale": SCALE,
        "database": vendor,
        "commit": git_short_sha(),
        "date": clock.now().date().isoformat(),
    }
    ordered = {key: results[key] for key in sorted(results) if key != "_meta"}
    ordered["_meta"] = results["_meta"]
    RESULTS.write_text(json.dumps(ordered, indent=2) + "\n")
    return ordered


def main() -> None:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    configure_environment()

    import django

    django.setup()
    from django.db import connection

    print(f"benchmark database: {connection.vendor} {connection.settings_dict['NAME']}", flush=True)
    # `bench/run.py spark_dispatch` runs only the named measures; no names runs them all.
    chosen = sys.argv[1:] or list(MEASURES)
    started = time.perf_counter()
    metrics = {}
    for name in chosen:
        metrics |= MEASURES[name]()
    if not sys.argv[1:]:
        metrics["bench_total_seconds"] = round(time.perf_counter() - started, 1)
    results = write_results(metrics, connection.vendor)
    print(json.dumps(results, indent=2))


# ---- Delivery: spark asks and a prompt release end to end, through real workers into SMTP ----

# How many due deliveries `spark_dispatch` sends (BENCH_SPARK_DELIVERIES for a quicker run).
SPARK_DELIVERIES = int(os.environ.get("BENCH_SPARK_DELIVERIES", "100000"))
SPARK_PARTICIPANTS = 1_000
# Deliveries sent in this process first, to count the queries per delivery of the same code.
QUERY_SAMPLE = 2_000
SPARK_TIMEOUT_SECONDS = int(os.environ.get("BENCH_SPARK_TIMEOUT", "1800"))
PROMPT_PEOPLE = 5_000
CEILING_MESSAGES = 5_000


def spark_deliveries_create(n: int) -> int:
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
    return created


def _group_rss_kb(pid: int) -> int:
    """The largest resident set (kB) of a process and its children (the worker's pool)."""
    largest, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                largest = max(largest, int(line.split()[1]))
        todo.extend(int(child) for child in children)
    return largest


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

    spark_kind, outbox_kind = (scheduling.due_kind(k) for k in ("spark_delivery", "outbox"))
    with override_settings(MAILERS=_smtp_mailers(port)), CaptureQueriesContext(connection) as q:
        for kind, limit in ((spark_kind, sample), (outbox_kind, None)):
            done = 0
            while limit is None or done < limit:
                with transaction.atomic():
                    ids = scheduling.claim_due_rows(kind)
                if not ids:
                    break
                scheduling.run_batch(kind, ids)
                done += len(ids)
    return len(q.captured_queries) / sample


def smtp_ceiling(port: int) -> float:
    """The same messages, rendered beforehand, sent by a bare loop over one SMTP connection into
    the same kind of sink: how fast this set-up takes mail at all, whatever the platform does."""
    import smtplib

    from notifications.models import OutboxMessage
    from notifications.outbox import message_bytes

    rows = OutboxMessage.objects.order_by("pk")[:CEILING_MESSAGES]
    messages = [(row.to_email, message_bytes(row)) for row in rows]
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        started = time.perf_counter()
        for to_email, data in messages:
            smtp.sendmail("bench@localhost", [to_email], data)
        elapsed = time.perf_counter() - started
    return len(messages) / elapsed


def prompt_release_start():
    """A 5,000-person cohort, then "Publish now" on a prompt for it; (the moment it was
    published, the prompt). Its release, notifications and emails are the workers' to do."""
    from accounts.models import Organization, User
    from cohorts.models import Cohort, CohortRole, Enrolment
    from discussions.services import prompt_create

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
    from sparks.models import Delivery
    from tests.live_worker import live_celery
    from tests.smtp_sink import SmtpSink

    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url or connection.vendor != "postgresql":
        print("spark_dispatch: needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL); skipped")
        return {}
    call_command("migrate", interactive=False, verbosity=0)
    total = spark_deliveries_create(SPARK_DELIVERIES + QUERY_SAMPLE)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    metrics: dict[str, float | int] = {}
    with tempfile.TemporaryDirectory() as folder, SmtpSink(keep_bodies=False) as sink:
        metrics["spark_dispatch_queries_per_delivery"] = round(
            queries_per_delivery(QUERY_SAMPLE, sink.port), 2
        )
        n = total - QUERY_SAMPLE
        connection.close()
        print(f"spark_dispatch: {n} due deliveries", flush=True)
        base = sink.count
        peak_kb = 0
        with live_celery(
            folder=Path(folder),
            database_name=connection.settings_dict["NAME"],
            redis_url=redis_url,
            EMAIL_URL=f"smtp://127.0.0.1:{sink.port}",
            CONN_MAX_AGE="600",
            LOG_LEVEL="WARNING",
            DUE_DISPATCH_EVERY_SECONDS="1",
        ) as live:
            worker = live.start_worker(concurrency=2, queues="celery")
            live.start_worker(name="dispatcher", concurrency=1, queues="dispatch")
            live.wait_ready(timeout=120)
            started = time.perf_counter()
            live.start_beat()
            deadline = started + SPARK_TIMEOUT_SECONDS
            last_report = started
            while sink.count - base < n:
                live.check_running()
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"spark_dispatch: {sink.count - base} of {n} in time")
                peak_kb = max(peak_kb, _group_rss_kb(worker.pid))
                if time.perf_counter() - last_report > 15:
                    last_report = time.perf_counter()
                    rate = (sink.count - base) / (last_report - started)
                    print(f"  {sink.count - base} sent, {rate:.0f}/s", flush=True)
                time.sleep(0.2)
            elapsed = time.perf_counter() - started
            sink.wait_quiet(seconds=2, timeout=10)
            sent = sink.count - base
            assert sent == n, f"{sent} mails for {n} deliveries"
            metrics |= {
                "spark_dispatch_per_s": round(n / elapsed, 1),
                "spark_worker_peak_rss_mb": round(peak_kb / 1024, 1),
                "spark_dispatch_deliveries": n,
            }
            print(f"spark_dispatch: {metrics}", flush=True)

            # A prompt released to 5,000 people, by the processes that are already running.
            before = sink.count
            release_started, prompt = prompt_release_start()
            told = Notification.objects.filter(key__startswith=f"prompt:{prompt.pk}:")
            while told.count() < PROMPT_PEOPLE or sink.count - before < PROMPT_PEOPLE:
                live.check_running()
                if time.perf_counter() - release_started > 120:
                    raise RuntimeError("prompt_release: not everyone was told within 2 minutes")
                time.sleep(0.05)
            metrics["prompt_release_5000_seconds"] = round(time.perf_counter() - release_started, 2)
    assert not Delivery.objects.filter(sent_at__isnull=True).exists()
    assert OutboxMessage.objects.filter(idempotency_key__contains=":spark:").count() == total
    with SmtpSink(keep_bodies=False) as ceiling_sink:
        metrics["smtp_ceiling_per_s"] = round(smtp_ceiling(ceiling_sink.port), 1)
    metrics["spark_dispatch_share_of_smtp_ceiling"] = round(
        metrics["spark_dispatch_per_s"] / metrics["smtp_ceiling_per_s"], 2
    )
    return metrics


MEASURES = {"pages": measure, "spark_dispatch": spark_dispatch}


if __name__ == "__main__":
    main()
