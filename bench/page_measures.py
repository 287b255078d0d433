"""The thread page against its reference floor, and pages under HTTP load (issue 13)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from timing import ROOT, WARM_RUNS, count_queries

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
    context = thread_page_context(
        request, *access.get_thread_for(user, thread.cohort_id, thread.pk)
    )
    return context | {
        "request": request,
        "user": user,
        "csrf_token": "x" * 64,
        # The navigation's one query, answered (the bench manager manages, nothing unread).
        "navigation": SimpleNamespace(unread=0, insights=True),
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
