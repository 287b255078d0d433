import re

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.fixture
def signed_in(client):
    client.force_login(factories.UserFactory(), backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_it_sends_a_strict_policy_to_visitors(client):
    assert_strict_policy(client.get("/accounts/login/"))


def test_it_sends_a_strict_policy_to_people_signed_in(signed_in):
    assert_strict_policy(signed_in.get("/notifications/"))


def assert_strict_policy(response) -> None:
    assert response.status_code == 200
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert "'self'" in policy["script-src"]
    for unsafe in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:"):
        assert unsafe not in policy["script-src"]
    assert "'unsafe-inline'" not in policy.get("style-src", [])
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_it_has_no_inline_script_for_the_policy_to_block(signed_in):
    html = signed_in.get("/notifications/").content.decode()

    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts
    assert all(" src=" in tag for tag in scripts)
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handlers would be blocked"
    assert '"allowEval": false' in html
