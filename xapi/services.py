"""Writes of the xapi app: saving an organisation's LRS settings and pushing statements to it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from accounts.models import Organization
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
        return LrsConfig.objects.create(
            organization=organization,
            endpoint=endpoint,
            username=username,
            secret=secret,
            enabled=enabled,
            created_at=now,
            updated_at=now,
        )
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


def _claim(config_id: int, now: datetime) -> LrsConfig | None:
    lease = now + timedelta(seconds=settings.XAPI_PUSH_LEASE_SECONDS)
    claimed = (
        LrsConfig.objects.filter(pk=config_id, enabled=True, halted_at__isnull=True)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=lease)
    )
    return LrsConfig.objects.filter(pk=config_id).first() if claimed else None


def _record_error(config: LrsConfig, message: str, *, halt: bool) -> None:
    now = clock.now()
    config.last_error, config.last_error_at = message, now
    config.halted_at = now if halt else None
    config.claimed_until = None
    config.save(update_fields=["last_error", "last_error_at", "halted_at", "claimed_until"])


def lrs_push(*, config_id: int) -> int:
    """Push the organisation's new statements in batches; return how many the LRS accepted.

    Each source's cursor moves only after the LRS accepted the batch, so a crash between the two
    sends the batch again, with the same statement ids. An unavailable LRS raises LrsUnavailable
    (the task retries); a refusal is recorded and halts pushing until the settings are saved.
    """
    now = clock.now()
    config = _claim(config_id, now)
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
    LrsConfig.objects.filter(pk=config.pk).update(
        claimed_until=None, **({"last_error": "", "last_error_at": None} if pushed else {})
    )
    return pushed
