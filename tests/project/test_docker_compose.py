"""docker-compose.yml and the Dockerfile cannot run here (no Docker engine); these check them."""

from pathlib import Path

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parents[2]
APP_SERVICES = ("web", "worker", "dispatcher", "beat")
APP_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "EMAIL_URL",
)


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())["services"]


def command(service: dict) -> str:
    value = service.get("command", "")
    return " ".join(value) if isinstance(value, list) else value


def test_it_runs_the_whole_stack(services):
    assert {"postgres", "redis", *APP_SERVICES} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    assert command(services["web"]).startswith("gunicorn socialtraining.wsgi")
    assert command(services["worker"]).startswith("celery -A socialtraining worker")
    assert command(services["beat"]).startswith("celery -A socialtraining beat")


def test_it_gives_the_dispatcher_a_queue_of_its_own_and_restarts_what_exits(services, settings):
    assert "--queues=celery" in command(services["worker"])
    assert command(services["dispatcher"]).startswith("celery -A socialtraining worker")
    assert "--queues=dispatch" in command(services["dispatcher"])
    assert settings.CELERY_TASK_ROUTES["notifications.tasks.dispatch_due"] == {"queue": "dispatch"}
    for name in APP_SERVICES:
        assert services[name]["restart"] == "unless-stopped"


def test_it_supervises_the_demo_s_worker_and_dispatcher():
    processes = dict(
        line.split(": ", 1) for line in (BASE_DIR / "Procfile").read_text().splitlines() if line
    )
    assert (
        processes["worker"].startswith("bin/supervise ")
        and "--queues=celery" in processes["worker"]
    )
    assert processes["dispatcher"].startswith("bin/supervise ")
    assert "--queues=dispatch" in processes["dispatcher"]


def test_it_gives_every_app_process_the_same_configuration(services):
    for variable in APP_VARIABLES:
        values = {services[name]["environment"][variable] for name in APP_SERVICES}
        assert len(values) == 1, f"{variable} differs between {APP_SERVICES}: {values}"
    assert services["web"]["environment"]["DATABASE_URL"].startswith("postgres://")
    assert "@postgres:5432/" in services["web"]["environment"]["DATABASE_URL"]
    assert services["web"]["environment"]["REDIS_URL"].startswith("redis://redis:6379/")
    assert services["web"]["environment"]["DEBUG"] == "false"


def test_it_starts_the_app_only_on_healthy_services_and_a_migrated_database(services):
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"]
    for name in APP_SERVICES:
        depends_on = services[name]["depends_on"]
        assert depends_on["postgres"]["condition"] == "service_healthy"
        assert depends_on["redis"]["condition"] == "service_healthy"
        assert depends_on["migrate"]["condition"] == "service_completed_successfully"
    assert command(services["migrate"]) == "python manage.py migrate --noinput"
    assert services["migrate"]["restart"] == "no"


def test_it_keeps_one_beat_and_lets_workers_scale(services):
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1
    assert services["beat"].get("scale", 1) == 1
    assert "container_name" not in services["worker"]
    assert "ports" not in services["worker"]


def test_it_keeps_postgres_data_in_a_volume(services):
    assert any(
        volume.endswith(":/var/lib/postgresql/data") for volume in services["postgres"]["volumes"]
    )


def test_it_builds_one_image_from_pinned_packages():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    assert "FROM python:3.12-slim" in dockerfile
    assert "COPY package.json package-lock.json" in dockerfile
    assert "npm ci" in dockerfile
    assert "pip install ." in dockerfile
    assert "manage.py collectstatic --noinput" in dockerfile
    assert '"gunicorn", "socialtraining.wsgi"' in dockerfile
    # Celery does not put the working directory on sys.path: without this the worker would
    # import the installed copy, whose BASE_DIR has no templates.
    assert "PYTHONPATH=/app" in dockerfile
    assert "USER app" in dockerfile


def test_it_keeps_secrets_and_local_state_out_of_the_image():
    ignored = (BASE_DIR / ".dockerignore").read_text().split()
    assert {".env", ".git", ".venv", "node_modules", "var", "staticfiles"} <= set(ignored)
