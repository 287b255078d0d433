"""Pushing an organisation's statements to its Learning Record Store.

Each source has a cursor; a batch is POSTed to the LRS and the cursor moves only once the LRS
accepted it. A crash or a network failure after sending but before moving the cursor re-sends the
same statements with the same ids, which the LRS keeps once.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Organization
from cohorts.models import Cohort
from xapi.models import LrsCursor, LrsEndpoint
from xapi.statements import SOURCES, XAPI_VERSION, statement_rows, statements_batch

PUSH_BATCH_SIZE = 200
# Batches per source in one run; the next beat run carries on where this one stopped.
PUSH_MAX_BATCHES = 25
TIMEOUT_SECONDS = 20


class LrsUnavailable(Exception):
    """The LRS could not be reached or failed (5xx): worth trying again later."""


class LrsRefused(Exception):
    """The LRS refused the batch (4xx): trying again will not help until someone looks."""


@dataclass(frozen=True)
class PushResult:
    sent: int
    more: bool


def lrs_post(*, endpoint: LrsEndpoint, statements: list[dict]) -> None:
    credentials = base64.b64encode(f"{endpoint.username}:{endpoint.password}".encode()).decode()
    request = urllib.request.Request(
        endpoint.statements_url,
        data=json.dumps(statements).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Experience-API-Version": XAPI_VERSION,
            "Authorization": f"Basic {credentials}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            response.read()
    except urllib.error.HTTPError as error:
        detail = error.read(500).decode(errors="replace")
        if 400 <= error.code < 500 and error.code not in (408, 429):
            raise LrsRefused(f"The LRS refused the statements ({error.code}): {detail}") from error
        raise LrsUnavailable(f"The LRS answered {error.code}: {detail}") from error
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise LrsUnavailable(f"The LRS could not be reached: {error}") from error


def _organization_cohorts(organization: Organization):
    return Cohort.objects.filter(organization=organization)


def lrs_push(*, endpoint: LrsEndpoint, max_batches: int = PUSH_MAX_BATCHES) -> PushResult:
    """Send the statements not yet accepted, batch by batch, moving each cursor after success.

    Raises LrsUnavailable (the caller retries later) or LrsRefused (recorded; pushing halts).
    """
    if not endpoint.enabled or endpoint.halted_at:
        return PushResult(0, False)
    cohorts = _organization_cohorts(endpoint.organization)
    sent = 0
    more = False
    for source in SOURCES:
        cursor, _ = LrsCursor.objects.get_or_create(endpoint=endpoint, source=source)
        for _ in range(max_batches):
            batch = statements_batch(
                source=source, cohorts=cohorts, after_pk=cursor.last_pk, size=PUSH_BATCH_SIZE
            )
            if not batch.statements:
                break
            try:
                lrs_post(endpoint=endpoint, statements=batch.statements)
            except LrsRefused as error:
                lrs_halt(endpoint=endpoint, error=str(error))
                raise
            except LrsUnavailable as error:
                _record_error(endpoint, str(error))
                raise
            with transaction.atomic():
                cursor.last_pk = batch.last_pk
                cursor.save(update_fields=["last_pk"])
                LrsEndpoint.objects.filter(pk=endpoint.pk).update(
                    last_success_at=timezone.now(),
                    pushed_count=F("pushed_count") + len(batch.statements),
                )
            sent += len(batch.statements)
            if len(batch.statements) < PUSH_BATCH_SIZE:
                break
        else:
            more = True
    return PushResult(sent, more)


def _record_error(endpoint: LrsEndpoint, error: str) -> None:
    now = timezone.now()
    LrsEndpoint.objects.filter(pk=endpoint.pk).update(last_error=error, last_error_at=now)


def lrs_halt(*, endpoint: LrsEndpoint, error: str) -> None:
    now = timezone.now()
    LrsEndpoint.objects.filter(pk=endpoint.pk).update(
        halted_at=now, last_error=error, last_error_at=now
    )


def lrs_endpoint_save(
    *,
    organization: Organization,
    url: str,
    username: str,
    password: str,
    enabled: bool,
) -> LrsEndpoint:
    """Create or change the organisation's LRS; saving clears a halt, so pushing resumes.

    An empty password keeps the one stored (the form never shows it back).
    """
    endpoint = LrsEndpoint.objects.filter(organization=organization).first()
    if endpoint is None:
        endpoint = LrsEndpoint(organization=organization)
    endpoint.url = url
    endpoint.username = username
    if password:
        endpoint.password = password
    endpoint.enabled = enabled
    endpoint.halted_at = None
    endpoint.save()
    return endpoint


def lrs_pending_count(*, endpoint: LrsEndpoint) -> int:
    """Statements not yet accepted by the LRS, counted in one query per source."""
    cursors = dict(endpoint.cursors.values_list("source", "last_pk"))
    cohorts = _organization_cohorts(endpoint.organization)
    return sum(
        statement_rows(source, cohorts).filter(pk__gt=cursors.get(source, 0)).count()
        for source in SOURCES
    )
