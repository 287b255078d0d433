"""Writes of the xapi app: saving an organisation's LRS settings and pushing statements to it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F

from accounts.models import Organization
from notifications import scheduling
from notifications.jobs import jobs_schedule
from socialtraining import clock
from xapi import statements
from xapi.lrs import LrsRejected, LrsUnavailable, lrs_post_statements
from xapi.models import LrsConfig, LrsCursor


@transaction.atomic
def lrs_config_save(
    *, organization: Organization, endpoint: str, username: str, secret: str, enabled: bool
) -> LrsConfig:
    """Create or change the organisation's LRS. A blank secret keeps the stored one.

    Saving also clears a refusal, so pushing resumes; a new endpoint is a new store, which gets
    the organisation's whole history from the start.
    """
    now = clock.now()
    config = LrsConfig.objects.select_for_update().filter(organization=organization).first()
    if config is None:
        config = LrsConfig.objects.create(
            organization=organization,
            endpoint=endpoint,
            username=username,
            secret=secret,
            enabled=enabled,
            created_at=now,
            updated_at=now,
        )
        if enabled:
            jobs_schedule(kind=LRS_PUSH_JOB, target_ids=[config.pk])
        return config
    if config.endpoint != endpoint:
        LrsCursor.objects.filter(organization=organization).delete()
    config.endpoint, config.username, config.enabled = endpoint, username, enabled
    if secret:
        config.secret = secret
    config.halted_at, config.last_error, config.last_error_at = None, "", None
    config.updated_at = now
    config.save(
        update_fields=[
            "endpoint",
            "username",
            "enabled",
            "secret",
            "halted_at",
            "last_error",
            "last_error_at",
            "updated_at",
        ]
    )
    if enabled:
        # The push starts again now: after a refusal, or with the new store's whole history.
        jobs_schedule(kind=LRS_PUSH_JOB, target_ids=[config.pk])
    return config


def _cursor_position(cursor: LrsCursor) -> statements.Position:
    return statements.Position(pk=cursor.last_pk, at=cursor.last_at)


def lrs_pending_count(*, organization: Organization) -> int:
    """Statements the LRS has not accepted yet (one count per source)."""
    cursors = {c.source: c for c in LrsCursor.objects.filter(organization=organization)}
    total = 0
    for source in statements.SOURCES:
        cursor = cursors.get(source)
        after = _cursor_position(cursor) if cursor else statements.Position()
        total += statements.source_count_after(source, organization_id=organization.pk, after=after)
    return total


LRS_PUSH_JOB = "lrs_push"


def _record_error(config: LrsConfig, message: str, *, halt: bool) -> None:
    now = clock.now()
    config.last_error, config.last_error_at = message, now
    config.halted_at = now if halt else None
    config.unreachable_count = 0 if halt else F("unreachable_count") + 1
    config.save(update_fields=["last_error", "last_error_at", "halted_at", "unreachable_count"])


def lrs_push(*, config_id: int) -> int:
    """Push the organisation's new statements in batches; return how many the LRS accepted.

    Each source's cursor moves, and commits, only after the LRS accepted the batch, so a crash
    between the two sends the batch again, with the same statement ids. An unavailable LRS raises
    LrsUnavailable; a refusal is recorded and halts pushing until the settings are saved.
    """
    now = clock.now()
    config = LrsConfig.objects.filter(pk=config_id, enabled=True, halted_at__isnull=True).first()
    if config is None:
        return 0
    settled_before = now - timedelta(seconds=settings.XAPI_PUSH_SETTLE_SECONDS)
    batches_left = settings.XAPI_PUSH_MAX_BATCHES
    pushed = 0
    try:
        for source in statements.SOURCES:
            cursor, _ = LrsCursor.objects.get_or_create(
                organization_id=config.organization_id, source=source
            )
            while batches_left > 0:
                rows = statements.source_rows(
                    source,
                    organization_id=config.organization_id,
                    after=_cursor_position(cursor),
                    limit=settings.XAPI_PUSH_BATCH_SIZE,
                    settled_before=settled_before,
                )
                if not rows:
                    break
                lrs_post_statements(
                    url=config.statements_url,
                    username=config.username,
                    secret=config.secret,
                    statements=statements.statements_for_rows(source, rows),
                )
                position = statements.position_of(source, rows[-1])
                cursor.last_pk, cursor.last_at = position.pk, position.at
                cursor.updated_at = clock.now()
                cursor.save(update_fields=["last_pk", "last_at", "updated_at"])
                pushed += len(rows)
                batches_left -= 1
                LrsConfig.objects.filter(pk=config.pk).update(
                    last_success_at=cursor.updated_at, pushed_count=config.pushed_count + pushed
                )
    except LrsRejected as error:
        _record_error(config, f"The LRS refused the statements ({error}).", halt=True)
        return pushed
    except LrsUnavailable as error:
        _record_error(config, f"The LRS could not be reached; retrying ({error}).", halt=False)
        raise
    reached = {"unreachable_count": 0}
    if pushed:
        reached |= {"last_error": "", "last_error_at": None}
    LrsConfig.objects.filter(pk=config.pk).update(**reached)
    return pushed


def lrs_push_retry_delay(failures: int) -> timedelta:
    """After the LRS could not be reached: 15 s, 30 s, 1 min … at most the regular interval."""
    seconds = min(15 * 2 ** max(failures - 1, 0), settings.XAPI_PUSH_EVERY_SECONDS)
    return timedelta(seconds=seconds)


def lrs_pushes(jobs, token: str) -> int:
    """Work of the `lrs_push` jobs (they own their transactions: a push waits on HTTP, and each
    accepted batch commits its cursor at once). Each job comes due again: at the next interval,
    at once while statements remain, sooner after the LRS could not be reached; a halted or
    disabled LRS ends its job until the settings are saved."""
    kind = scheduling.due_kind(LRS_PUSH_JOB)
    finished = 0
    for job in jobs:
        next_due: datetime | None = clock.now() + timedelta(
            seconds=settings.XAPI_PUSH_EVERY_SECONDS
        )
        try:
            pushed = lrs_push(config_id=job.target_id)
        except LrsUnavailable:
            pushed = 0
        config = LrsConfig.objects.filter(pk=job.target_id).first()
        if config is None or not config.enabled or config.halted_at:
            next_due = None
        elif config.unreachable_count:
            next_due = clock.now() + lrs_push_retry_delay(config.unreachable_count)
        elif pushed >= settings.XAPI_PUSH_BATCH_SIZE * settings.XAPI_PUSH_MAX_BATCHES:
            # More waits than one run takes: go on at once.
            next_due = clock.now()
        finished += scheduling.finish_rows(
            kind, token=token, ids=[job.pk], next_due={job.pk: next_due} if next_due else None
        )
    return finished
