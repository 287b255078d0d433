"""Pushing statements to a Learning Record Store: here a real HTTP server on 127.0.0.1."""

import base64

import pytest

from socialtraining.celery import app as celery_app
from tests.xapi.conftest import thread_start
from xapi import services, tasks
from xapi.models import LrsCursor, LrsEndpoint


@pytest.fixture
def endpoint(world, fake_lrs):
    return LrsEndpoint.objects.create(
        organization=world.organization, url=fake_lrs.url, username="key", password="secret"
    )


def test_it_pushes_every_statement_once_with_version_and_credentials(
    world, activity, endpoint, fake_lrs
):
    assert tasks.push_to_lrs.apply(args=[endpoint.pk]).get() == 5
    assert len(fake_lrs.statements) == 5
    request = fake_lrs.requests[0]
    assert request["path"] == "/xapi/statements"
    assert request["version"] == "1.0.3"
    assert request["authorization"] == "Basic " + base64.b64encode(b"key:secret").decode()
    # Nothing new: the next run sends nothing at all.
    sent_requests = len(fake_lrs.requests)
    assert tasks.push_to_lrs.apply(args=[endpoint.pk]).get() == 0
    assert len(fake_lrs.requests) == sent_requests
    endpoint.refresh_from_db()
    assert endpoint.pushed_count == 5 and endpoint.last_success_at is not None


def test_it_sends_only_what_is_new_since_the_last_push(world, activity, endpoint, fake_lrs):
    services.lrs_push(endpoint=endpoint)
    thread_start(world, kind="discussion", title="Later")
    assert services.lrs_push(endpoint=endpoint).sent == 1
    assert len(fake_lrs.statements) == 6


def test_it_pushes_in_batches(world, endpoint, fake_lrs, monkeypatch):
    monkeypatch.setattr(services, "PUSH_BATCH_SIZE", 2)
    for n in range(5):
        thread_start(world, kind="discussion", title=f"T{n}")
    assert services.lrs_push(endpoint=endpoint).sent == 5
    assert [r["count"] for r in fake_lrs.requests] == [2, 2, 1]


def test_it_keeps_the_cursor_when_the_lrs_is_down_and_catches_up_later(
    world, activity, endpoint, fake_lrs
):
    fake_lrs.failures = [503]
    with pytest.raises(services.LrsUnavailable):
        services.lrs_push(endpoint=endpoint)
    assert not LrsCursor.objects.filter(last_pk__gt=0).exists()
    endpoint.refresh_from_db()
    assert "503" in endpoint.last_error and endpoint.halted_at is None
    assert services.lrs_push(endpoint=endpoint).sent == 5
    assert len(fake_lrs.statements) == 5


def test_the_task_retries_a_failing_lrs_and_then_delivers(world, activity, endpoint, fake_lrs):
    fake_lrs.failures = [503, 502]
    # As a worker would, not re-raising: each retry then runs at once, in this process.
    celery_app.conf.task_eager_propagates = False
    try:
        result = tasks.push_to_lrs.apply(args=[endpoint.pk])
    finally:
        celery_app.conf.task_eager_propagates = True
    assert result.get() == 5
    assert len(fake_lrs.statements) == 5
    # Two refused attempts, then one batch per source (posts, spark answers, surveys).
    assert len(fake_lrs.requests) == 2 + 3


def test_it_retries_an_unreachable_lrs_with_backoff_not_forever():
    policy = tasks.push_to_lrs
    assert services.LrsUnavailable in policy.autoretry_for
    assert policy.retry_backoff and policy.max_retries == 6


def test_a_refusal_halts_pushing_and_says_why_instead_of_retrying(
    world, activity, endpoint, fake_lrs
):
    fake_lrs.failures = [400]
    assert tasks.push_to_lrs.apply(args=[endpoint.pk]).get() == 0
    assert len(fake_lrs.requests) == 1
    endpoint.refresh_from_db()
    assert endpoint.halted_at is not None
    assert "refused the statements (400)" in endpoint.last_error
    # The beat task passes a halted LRS by until a manager saves or asks to push again.
    assert tasks.push_statements.apply().get() == 0
    assert len(fake_lrs.requests) == 1
    assert not fake_lrs.statements


def test_resending_after_a_lost_cursor_records_nothing_twice(world, activity, endpoint, fake_lrs):
    services.lrs_push(endpoint=endpoint)
    # As after a crash between the LRS accepting a batch and the cursor moving.
    LrsCursor.objects.update(last_pk=0)
    assert services.lrs_push(endpoint=endpoint).sent == 5
    assert len(fake_lrs.statements) == 5


def test_it_pushes_nothing_for_a_switched_off_lrs(world, activity, endpoint, fake_lrs):
    LrsEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False)
    assert tasks.push_statements.apply().get() == 0
    endpoint.refresh_from_db()
    assert services.lrs_push(endpoint=endpoint).sent == 0
    assert fake_lrs.requests == []


def test_it_pushes_only_the_organisation_s_own_statements(world, endpoint, fake_lrs):
    from django.utils import timezone

    from discussions import services as discussions

    discussions.thread_start(
        cohort=world.outsider_cohort,
        study_group=None,
        author=world.outsider,
        kind="discussion",
        title="Globex only",
        body="Not for Acme's LRS.",
        idempotency_key=str(timezone.now().timestamp()),
    )
    assert services.lrs_push(endpoint=endpoint).sent == 0
