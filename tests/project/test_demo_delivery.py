"""A fresh demo delivers within a minute: seeding leaves the workers nothing to drain, and "Publish
now" reaches the participants' in-app inboxes and the mail folder, through the same processes and
the same filesystem broker that `make demo` runs."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from cohorts.models import CohortRole, Enrolment
from discussions.models import Prompt
from notifications.models import Notification
from notifications.scheduling import DueStatus
from tests.live_worker import ROOT, database_url_for, live_celery

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PUBLISH = """
import django
django.setup()
from django.test import Client
from accounts.models import User
from discussions.models import Prompt
prompt = Prompt.objects.get(pk={pk})
client = Client()
client.force_login(User.objects.get(email="instructor@demo.test"))
response = client.post(f"/cohorts/{{prompt.cohort_id}}/prompts/{{prompt.pk}}/publish/")
assert response.status_code == 302, response.status_code
"""


def _demo_env(folder: Path) -> dict[str, str]:
    """What `make demo` gives its processes: the filesystem broker, mail written to files."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "socialtraining.settings",
        "DATABASE_URL": database_url_for(connection.settings_dict["NAME"]),
        "REDIS_URL": "",
        "CELERY_BROKER_DIR": str(folder / "broker"),
        "EMAIL_URL": f"filemail:///{folder / 'mail'}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DEBUG": "true",
    }


def _run(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]


def _mails_with(folder: Path, text: str) -> int:
    if not folder.exists():
        return 0
    return sum(path.read_text(errors="replace").count(text) for path in folder.iterdir())


def test_a_fresh_demo_enqueues_nothing_and_publishes_within_a_minute(tmp_path):
    env = _demo_env(tmp_path)
    _run([sys.executable, "manage.py", "seed_demo"], env)
    broker = tmp_path / "broker" / "celery-broker"
    # Nothing for the workers to drain when they start.
    assert not broker.exists() or not list(broker.iterdir())
    prompt = Prompt.objects.filter(
        author__email="instructor@demo.test", status=DueStatus.PENDING
    ).earliest("due_at")
    members = Enrolment.objects.filter(cohort=prompt.cohort, role=CohortRole.PARTICIPANT)

    extra = {key: env[key] for key in ("CELERY_BROKER_DIR", "EMAIL_URL", "DEBUG")}
    with live_celery(folder=tmp_path, database_name=connection.settings_dict["NAME"],
                     redis_url="", **extra) as live:  # fmt: skip
        live.start_worker(concurrency=2, queues="celery")
        live.start_worker(name="dispatcher", concurrency=1, queues="dispatch")
        live.start_beat()
        started = time.monotonic()
        _run([sys.executable, "-c", PUBLISH.format(pk=prompt.pk)], env)
        told = Notification.objects.filter(key__startswith=f"prompt:{prompt.pk}:")
        deadline = started + 60
        while time.monotonic() < deadline:
            live.check_running()
            mailed = _mails_with(tmp_path / "mail", "X-Outbox-Key: notify:")
            if told.count() >= members.count() and mailed >= members.count():
                break
            time.sleep(0.5)
        elapsed = time.monotonic() - started
        assert told.count() == members.count(), live.output()
        assert elapsed < 60, f"{elapsed:.1f} s"
