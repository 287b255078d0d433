"""Loaded by pytest before Django (``-p tests.environment`` in pyproject.toml).

Settings read the environment once, at import, and some middleware reads them once, when the live
server starts; test values must therefore be in place before Django is set up.
"""

import os
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")

# Redis has databases 0 to 15 unless configured otherwise.
REDIS_DATABASES = 16


def redis_url_for_worker(url: str, worker: str) -> str:
    """The Redis database of one pytest-xdist worker: REDIS_URL's number plus the worker's index
    (gw0 keeps it, gw1 the next one…), so a test that flushes Redis flushes only its own worker's
    database (and PostgreSQL gets a database per worker from pytest-django)."""
    parts = urlsplit(url)
    number = int(parts.path.strip("/") or 0) + int(worker.removeprefix("gw"))
    if number >= REDIS_DATABASES:
        raise RuntimeError(
            f"{worker} would use Redis database {number}: start REDIS_URL at a lower number "
            f"or run fewer workers (-n)"
        )
    return urlunsplit(parts._replace(path=f"/{number}"))


# pytest-xdist names each worker process in PYTEST_XDIST_WORKER before it loads this plugin.
if os.environ.get("REDIS_URL") and os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["REDIS_URL"] = redis_url_for_worker(
        os.environ["REDIS_URL"], os.environ["PYTEST_XDIST_WORKER"]
    )


def pytest_addoption(parser):
    parser.addoption(
        "--clock-start",
        default=os.environ.get("CLOCK_START", ""),
        help="run the suite as if it started at this ISO 8601 moment with a UTC offset, "
        "e.g. 2026-12-11T23:30:00-10:00 (default: $CLOCK_START, else the real time)",
    )


def pytest_report_header(config):
    start = config.getoption("--clock-start")
    return f"project clock: starts at {start}" if start else "project clock: real time"
