"""Seed a fresh benchmark database at scale, time the pages that matter, write bench/results.json.

Run from the repository root (`make bench`). With DATABASE_URL pointing at PostgreSQL the benchmark
uses `<name>_bench` on the same server, dropped and created afresh; otherwise a fresh SQLite file,
var/bench.sqlite3. BENCH_REUSE=1 keeps a `<name>_bench` PostgreSQL database seeded by an earlier run
(migrated, not seeded again: the seed takes minutes). Metrics already in results.json that this run
does not measure are kept. The bars of BARS are checked on what this run measured: the run exits 1
after writing the results when one is missed.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
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


def fresh_postgres_url(url: str, *, reuse: bool = False) -> str:
    """Drop and create `<name>_bench` next to the database in `url`; return its URL.

    With `reuse`, an existing `<name>_bench` is kept as it is (created only when missing).
    """
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "postgres"
    bench_name = name if name.endswith("_bench") else f"{name}_bench"
    # Connect to the maintenance database: one cannot drop the database one is connected to.
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        quoted = sql.Identifier(bench_name)
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [bench_name]
        ).fetchone()
        if not (reuse and exists):
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
    reuse = os.environ.get("BENCH_REUSE", "") not in ("", "0")
    os.environ["DATABASE_URL"] = (
        fresh_postgres_url(url, reuse=reuse) if is_postgres else fresh_sqlite_url()
    )
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
    from demo.bench_seed import BENCH_SURVEY_COHORT
    from demo.seeding import BENCH_MANAGER, BENCH_SLUG, organization_exists
    from discussions.models import Thread
    from surveys.models import Round

    metrics: dict[str, float | int] = {}
    call_command("migrate", interactive=False, verbosity=0)

    if organization_exists(slug=BENCH_SLUG):
        print("seed: the benchmark organisation exists (BENCH_REUSE); not seeded again", flush=True)
    else:
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
        metrics |= measure_thread(client, busiest)

        # The organisation-wide refresher: 5,000 responses to 20 questions.
        refresher = Round.objects.get(
            cohort__organization__slug=BENCH_SLUG, cohort__name=BENCH_SURVEY_COHORT
        )
        survey_results = reverse("surveys:results", args=[refresher.cohort_id, refresher.pk])
        metrics["survey_results_ms_p50"] = round(time_page(client, survey_results, WARM_RUNS), 1)
        metrics["survey_results_queries"] = count_queries(client, survey_results)
        metrics["survey_results_uncached_ms_p50"] = round(time_survey_uncached(refresher), 1)
        metrics |= measure_dashboards(client)
    return metrics


def time_survey_uncached(round_, runs: int = 5) -> float:
    """The round's per-question results computed afresh (what the first view after a submission
    pays; the page caches them until the next one): median milliseconds."""
    from surveys.models import ResponseStatus
    from surveys.results import question_results

    submitted = round_.responses.filter(status=ResponseStatus.SUBMITTED).count()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        question_results(round_, submitted=submitted)
        timings.append((time.perf_counter() - started) * 1000)
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
    # Stopped from outside (a timeout, Ctrl-C from make): unwind, so the worker, beat, gunicorn and
    # SMTP processes it started are stopped too instead of being left running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
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
    if bars_missed(metrics):
        sys.exit(1)


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


# ---- The thread page against its reference floor; pages under HTTP load (issue 13) ----

# The physical limit of a thread page: the same posts' stored HTML, author and time, from memory.
REFERENCE_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ thread.title }}</title></head>
<body><main><h1>{{ thread.title }}</h1>
{% for p in posts %}<article id="post-{{ p.pk }}">
<p>{{ p.author.name }} · <time datetime="{{ p.created_at|date:'c' }}">{{ p.created_at|timesince }}
ago</time></p>
{{ p.body_html|safe }}
</article>{% endfor %}
</main></body></html>
"""


def _dispatch_floor(metrics: dict) -> float:
    """1,000 asks a second, or 0.8 of what the SMTP sink itself takes if it cannot take 1,000."""
    ceiling = metrics["smtp_ceiling_per_s"]
    return 1000 if ceiling >= 1000 else round(0.8 * ceiling, 1)


# What `make bench` promises (issues 12, 13 and 17): a metric, at most or at least what, and how
# that is said.
BARS = [
    ("thread_page_ms_p50", "at most", lambda m: 2 * m["thread_reference_ms_p50"], "2 x reference"),
    ("thread_page_queries", "at most", lambda m: 12, "12"),
    ("thread_page_bytes", "at most", lambda m: 100_000, "100,000"),
    ("http_errors", "at most", lambda m: 0, "0"),
    ("survey_results_ms_p50", "at most", lambda m: 120, "120"),
    ("spark_dispatch_per_s", "at least", _dispatch_floor, "1,000 or 0.8 x smtp_ceiling_per_s"),
    ("spark_dispatch_queries_per_delivery", "at most", lambda m: 2, "2"),
    ("spark_worker_peak_rss_mb", "at most", lambda m: 250, "250"),
    ("prompt_release_5000_seconds", "at most", lambda m: 10, "10"),
    ("bench_total_seconds", "at most", lambda m: 900, "900 (15 minutes)"),
    ("lift_ci_coverage", "at least", lambda m: 0.90, "0.90"),
    ("lift_false_positive_rate", "at most", lambda m: 0.10, "0.10"),
]


def bars_missed(metrics: dict) -> list[str]:
    """Print each bar whose metrics this run measured; return the missed ones."""
    missed = []
    for name, how, limit, said in BARS:
        try:
            bound = limit(metrics)
            value = metrics[name]
        except KeyError:
            continue
        ok = value <= bound if how == "at most" else value >= bound
        verdict = "ok" if ok else "MISSED"
        print(f"bar: {name} = {value}, {how} {said} = {bound}: {verdict}", flush=True)
        if not ok:
            missed.append(name)
    return missed


def measure_thread(client, thread) -> dict[str, float | int]:
    """The busiest thread's page as the bench manager sees it, its size and queries; the page's
    template rendered from memory (the floor) and the reference page (REFERENCE_TEMPLATE).

    Page, floor and reference runs alternate, so the machine's load weighs on all three alike.
    """
    from django.urls import reverse

    path = reverse("discussions:thread", args=[thread.cohort_id, thread.pk])
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    floor = thread_floor_renderer(thread)
    reference = thread_reference_renderer(thread)
    runs = {"page": lambda: client.get(path), "floor": floor, "reference": reference}
    timings: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(WARM_RUNS):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            timings[name].append((time.perf_counter() - started) * 1000)
    return {
        "thread_page_ms_p50": round(statistics.median(timings["page"]), 1),
        "thread_page_queries": count_queries(client, path),
        "thread_page_bytes": len(response.content),
        "thread_floor_ms_p50": round(statistics.median(timings["floor"]), 1),
        "thread_reference_ms_p50": round(statistics.median(timings["reference"]), 1),
    }


def _thread_context_from_memory(thread) -> dict:
    """The thread page's context as the view loads it for the bench manager, plus the values the
    context processors would add, so rendering it needs no queries."""
    from django.test import RequestFactory

    from accounts.models import User
    from demo.seeding import BENCH_MANAGER
    from discussions import access
    from discussions.thread_page import thread_page_context

    user = User.objects.get(email=BENCH_MANAGER)
    request = RequestFactory().get(f"/cohorts/{thread.cohort_id}/threads/{thread.pk}/")
    request.user = user
    request.htmx = False
    context = thread_page_context(request, access.get_thread_for(user, thread.cohort_id, thread.pk))
    return context | {
        "request": request,
        "user": user,
        "csrf_token": "x" * 64,
        "unread_notification_count": 0,
        "messages": [],
    }


def _no_queries(render):
    """`render`, checked once to touch no database: the floors are rendering from memory only."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        render()
    assert not captured.captured_queries, captured.captured_queries[:3]
    return render


def thread_floor_renderer(thread):
    """The thread page's own template rendered from a context loaded once."""
    from django.template import Context
    from django.template.loader import get_template

    context = _thread_context_from_memory(thread)
    template = get_template("discussions/thread.html").template
    return _no_queries(lambda: template.render(Context(context)))


def thread_reference_renderer(thread):
    """REFERENCE_TEMPLATE with the same page of replies (the 50 posts the page shows)."""
    from django.template import Context, Template

    context = _thread_context_from_memory(thread)
    template = Template(REFERENCE_TEMPLATE)
    posts = {"thread": context["thread"], "posts": context["replies"]}
    assert len(posts["posts"]) == 50, len(posts["posts"])
    return _no_queries(lambda: template.render(Context(posts)))


# The HTTP load: gunicorn with 2 sync workers, HTTP_CLIENTS people signed in at once, each page
# for HTTP_SECONDS (BENCH_HTTP_SECONDS for a quicker run).
HTTP_WORKERS = 2
HTTP_CLIENTS = 50
HTTP_SECONDS = float(os.environ.get("BENCH_HTTP_SECONDS", "30"))


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _sessions_for(users) -> list[str]:
    """A signed-in session per user, as a Cookie header (no password hashing, no rate limit)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    cookies = []
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
    return cookies


def _gunicorn(port: int):
    """gunicorn on 127.0.0.1:`port` against the bench database, as production runs it."""
    import urllib.request

    env = os.environ | {"ALLOWED_HOSTS": "127.0.0.1", "CONN_MAX_AGE": "60"}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "socialtraining.wsgi",
            f"--workers={HTTP_WORKERS}",
            "--worker-class=sync",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.perf_counter() + 120
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5):
                return server
        except OSError:
            if server.poll() is not None or time.perf_counter() > deadline:
                server.kill()
                raise RuntimeError("gunicorn did not start") from None
            time.sleep(0.5)


def http_load() -> dict[str, float | int]:
    """`http_<page>_rps`, `_p50_ms`, `_p95_ms`, `_errors` for the thread page, the cohort feed and
    the home page, HTTP_CLIENTS participants of the busy cohort at once (bench/load.py, locust),
    against gunicorn with HTTP_WORKERS sync workers; `http_errors` adds up every page's errors."""
    from django.core.management import call_command
    from django.db import connection
    from django.urls import reverse

    from accounts.models import User
    from cohorts.models import CohortRole
    from demo.seeding import BENCH_SLUG, organization_exists
    from discussions.models import Thread

    call_command("migrate", interactive=False, verbosity=0)
    if not organization_exists(slug=BENCH_SLUG):
        print("http: no benchmark organisation (run the pages measure first); skipped")
        return {}
    # What a release does before gunicorn serves: whitenoise's manifest of the static files.
    call_command("collectstatic", interactive=False, verbosity=0)
    busiest = Thread.objects.filter(cohort__organization__slug=BENCH_SLUG).order_by("-reply_count")[
        0
    ]
    people = User.objects.filter(
        enrolments__cohort_id=busiest.cohort_id, enrolments__role=CohortRole.PARTICIPANT
    ).order_by("pk")[:HTTP_CLIENTS]
    spec = {
        "cookies": _sessions_for(people),
        "seconds": HTTP_SECONDS,
        "pages": {
            "thread": reverse("discussions:thread", args=[busiest.cohort_id, busiest.pk]),
            "feed": reverse("discussions:feed", args=[busiest.cohort_id]),
            "home": reverse("home"),
        },
    }
    assert len(spec["cookies"]) == HTTP_CLIENTS, len(spec["cookies"])
    connection.close()
    port = _free_port()
    server = _gunicorn(port)
    try:
        spec["host"] = f"http://127.0.0.1:{port}"
        print(f"http: {HTTP_CLIENTS} clients, {HTTP_SECONDS:g} s a page, on {spec['host']}")
        done = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "load.py")],
            input=json.dumps(spec),
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        server.terminate()
        server.wait(timeout=60)
    metrics: dict[str, float | int] = {"http_clients": HTTP_CLIENTS, "http_errors": 0}
    for page, result in json.loads(done.stdout).items():
        print(f"  {page}: {result}", flush=True)
        for key in ("rps", "p50_ms", "p95_ms", "errors"):
            metrics[f"http_{page}_{key}"] = result[key]
        metrics["http_errors"] += result["errors"]
    return metrics


MEASURES["http"] = http_load


# ---- Does sparking work? The lift estimate's promise, on seeded synthetic cohorts (issue 17) ----


def lift_figures() -> dict[str, float]:
    """`lift_ci_coverage` and `lift_false_positive_rate` over 200 synthetic cohorts of 30 people
    and 6 objectives (planted lift 10 points, then none), and the share of those 30-person cohorts
    whose interval finds the planted 10 points (`lift_power_30_people`): what one cohort can say."""
    from insights.lift_stats import lift_bench_figures, lift_simulation

    figures = lift_bench_figures()
    figures["lift_power_30_people"] = round(lift_simulation(lift_points=10.0).excludes_zero, 3)
    print(f"lift: {figures}", flush=True)
    return figures


MEASURES["lift"] = lift_figures


if __name__ == "__main__":
    main()
