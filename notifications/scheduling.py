"""The one mechanism for everything that comes due later.

Each scheduled thing is a row (a subclass of `DueRow`) with `due_at` and a status. Once a minute a
beat task (`notifications.tasks.dispatch_due`) claims due rows of every registered kind in bounded
batches: `select_for_update(skip_locked=True)` on PostgreSQL, so parallel dispatchers never claim
the same row; each claimed row gets a lease (`claimed_until`). After the claim commits, one short
task per row does the work through `process_due_row`, which locks the row, skips it unless it is
still claimed or pending, and marks it done in the same transaction. A row whose lease ran out
(the worker died, Redis was flushed) is claimable again. Nothing is scheduled with a Celery ETA.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q

from socialtraining import clock

logger = logging.getLogger(__name__)


class DueStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CLAIMED = "claimed", "Claimed"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class DueRow(models.Model):
    due_at = models.DateTimeField(default=clock.now)
    status = models.CharField(max_length=10, choices=DueStatus.choices, default=DueStatus.PENDING)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    # How often a failing row is tried before it is marked failed.
    max_attempts = 5

    class Meta:
        abstract = True
        indexes = [models.Index(fields=["status", "due_at"])]

    def retry_delay(self) -> timedelta:
        return timedelta(minutes=2 ** min(self.attempts, 6))


@dataclass(frozen=True)
class DueKind:
    name: str
    model_label: str
    task: object  # a Celery task taking (kind_name, row_id)

    @property
    def model(self) -> type[DueRow]:
        return apps.get_model(self.model_label)


_kinds: dict[str, DueKind] = {}


def register_due_kind(name: str, model_label: str, task: object) -> None:
    _kinds[name] = DueKind(name, model_label, task)


def due_kinds() -> list[DueKind]:
    return list(_kinds.values())


def due_kind(name: str) -> DueKind:
    return _kinds[name]


def claimable(model: type[DueRow], now: datetime) -> models.QuerySet:
    return model.objects.filter(
        Q(status=DueStatus.PENDING, due_at__lte=now)
        | Q(status=DueStatus.CLAIMED, claimed_until__lt=now)
    )


def claim_due_rows(model: type[DueRow], *, limit: int | None = None) -> list[int]:
    """Claim at most `limit` due rows under a lease and return their ids (call inside atomic)."""
    now = clock.now()
    limit = limit or settings.DUE_BATCH_SIZE
    lease = timedelta(seconds=settings.DUE_LEASE_SECONDS)
    ids = list(
        claimable(model, now)
        .order_by("due_at", "pk")
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)[:limit]
    )
    if ids:
        # Counted at claim time: a task that kills its worker rolls back its own transaction, so an
        # attempt counted there would vanish and the row would be retried for ever.
        model.objects.filter(pk__in=ids).update(
            status=DueStatus.CLAIMED, claimed_until=now + lease, attempts=F("attempts") + 1
        )
    return ids


def fail_abandoned_rows(model: type[DueRow], *, now: datetime) -> int:
    """Rows claimed `max_attempts` times whose work never finished are failed, not claimed again."""
    return model.objects.filter(
        status=DueStatus.CLAIMED, claimed_until__lt=now, attempts__gte=model.max_attempts
    ).update(
        status=DueStatus.FAILED,
        claimed_until=None,
        last_error="Claimed repeatedly without finishing (worker lost or killed).",
    )


def dispatch_kind(kind: DueKind, *, max_batches: int = 20) -> int:
    """Claim due rows of one kind batch by batch and enqueue one task per row after each commit."""
    total = 0
    fail_abandoned_rows(kind.model, now=clock.now())
    for _ in range(max_batches):
        with transaction.atomic():
            ids = claim_due_rows(kind.model)
            for row_id in ids:
                # robust: a row whose task cannot be enqueued stays claimed and returns after the
                # lease; the rest of the batch and the other kinds still go out.
                transaction.on_commit(
                    lambda row_id=row_id: kind.task.delay(kind.name, row_id), robust=True
                )
        total += len(ids)
        if len(ids) < settings.DUE_BATCH_SIZE:
            break
    return total


def dispatch_all() -> dict[str, int]:
    return {kind.name: dispatch_kind(kind) for kind in due_kinds()}


def process_due_row(
    model: type[DueRow], row_id: int, work: Callable[[DueRow], datetime | None]
) -> bool:
    """Do `work` for one row exactly once; return True if this call did it.

    The row stays locked while the work runs, so a second task for the same row (a retry, a
    duplicate enqueue, a second dispatcher) waits and then finds it done. A row with several steps
    (send, then remind, then expire) has `work` return when it comes due next: it goes back to
    pending at that moment, with a fresh count of attempts, instead of done.
    """
    with transaction.atomic():
        row = model.objects.select_for_update().filter(pk=row_id).first()
        if row is None or row.status not in (DueStatus.PENDING, DueStatus.CLAIMED):
            return False
        now = clock.now()
        if row.status == DueStatus.PENDING and row.due_at > now:
            return False
        if row.status == DueStatus.PENDING:
            # Sent straight after commit, not through a claim that already counted the attempt.
            row.attempts += 1
        try:
            with transaction.atomic():
                next_due = work(row)
        except Exception as exc:
            logger.warning("due row %s %s failed: %s", model.__name__, row_id, exc)
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if row.attempts >= row.max_attempts:
                row.status = DueStatus.FAILED
            else:
                row.status = DueStatus.PENDING
                row.due_at = now + row.retry_delay()
            row.claimed_until = None
            row.save(update_fields=["attempts", "last_error", "status", "due_at", "claimed_until"])
            return False
        row.claimed_until = None
        if isinstance(next_due, datetime):
            row.status, row.due_at, row.attempts = DueStatus.PENDING, next_due, 0
            row.save(update_fields=["attempts", "status", "due_at", "claimed_until"])
            return True
        row.status = DueStatus.DONE
        row.done_at = now
        row.save(update_fields=["attempts", "status", "done_at", "claimed_until"])
        return True
