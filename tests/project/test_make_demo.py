"""`make demo`'s commands, as `make -n` prints them: its links follow its port, and it is quiet
until it serves (set-up output goes to a log, Celery's warning about root is filtered)."""

import os
import subprocess
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def demo_commands(*variables: str, site_url: str | None = None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "MAKEFLAGS", "MFLAGS")}
    if site_url:
        env["SITE_URL"] = site_url
    result = subprocess.run(
        ["make", "-n", "--no-print-directory", "demo", *variables],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.splitlines()


def _line(lines: list[str], text: str) -> str:
    return next(line for line in lines if text in line)


def test_it_points_the_demo_s_links_at_the_port_it_serves_on():
    lines = demo_commands("PORT=8101")
    assert "SITE_URL=http://127.0.0.1:8101 " in _line(lines, "manage.py seed_demo")
    assert "SITE_URL=http://127.0.0.1:8101 " in _line(lines, "honcho start")
    assert "PORT=8101 " in _line(lines, "honcho start")
    assert 'echo "  Social training demo: http://127.0.0.1:8101/"' in lines


def test_it_keeps_a_site_url_given_to_it():
    lines = demo_commands("PORT=8101", site_url="https://demo.example.test")
    assert "SITE_URL=https://demo.example.test " in _line(lines, "honcho start")


def test_it_shows_the_url_and_the_logins_not_the_set_up_chatter():
    lines = demo_commands()
    setup = "\n".join(lines[: lines.index('echo "  Social training demo: http://127.0.0.1:8000/"')])
    assert ">var/demo-setup.log 2>&1" in setup
    assert "You're running the worker with superuser privileges" in _line(lines, "honcho start")
