"""`manage.py check --deploy` under the variables a production deployment sets, and nothing else."""

import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def check_deploy(tmp_path: Path, **overrides: str) -> subprocess.CompletedProcess:
    # A clean environment: the test run's own relaxations (tests/environment.py) must not leak in.
    environment = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "example.com",
        "SITE_URL": "https://example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587",
        **overrides,
    }
    environment = {name: value for name, value in environment.items() if value is not None}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_is_clean_under_production_variables(tmp_path):
    result = check_deploy(tmp_path)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNINGS" not in output


def test_it_refuses_production_without_a_real_mailer(tmp_path):
    result = check_deploy(tmp_path, EMAIL_URL=None)

    assert result.returncode != 0
    assert "mail.E001" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "check"),
    [
        ("SECRET_KEY", "short", "security.W009"),
        ("SECURE_SSL_REDIRECT", "false", "security.W008"),
        ("SESSION_COOKIE_SECURE", "false", "security.W012"),
    ],
)
def test_it_warns_when_production_is_weakened(tmp_path, variable, value, check):
    result = check_deploy(tmp_path, **{variable: value})

    assert result.returncode != 0
    assert check in result.stderr


def test_it_refuses_to_start_in_production_without_a_secret_key(tmp_path):
    result = check_deploy(tmp_path, SECRET_KEY=None)

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
