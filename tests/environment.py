"""Loaded by pytest before Django (``-p tests.environment`` in pyproject.toml).

Settings read the environment once, at import, and some middleware reads them once, when the live
server starts; test values must therefore be in place before Django is set up.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")


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
