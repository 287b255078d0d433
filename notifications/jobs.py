"""Background work as due rows (`Job`): other apps register a kind and schedule its jobs here.

A job is one row per (kind, target): scheduling it again while it waits changes nothing, and a
finished job is armed again for its next run. Roster imports, LRS pushes, post fan-outs and
email bundles all run through the one due-row mechanism this way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import DateTimeField, ExpressionWrapper, F, Value
from django.db.models.functions import Coalesce, Greatest

from notifications import scheduling
from notifications.models import Job
from notifications.scheduling import BatchWork, DueStatus
from socialtraining import clock

FINISHED = (DueStatus.DONE, DueStatus.FAILED, DueStatus.CANCELLED)


def register_job_kind(
    kind: str, work: BatchWork, *, batch_size: int = 1, owns_transactions: bool = False
) -> None:
    """Jobs of `kind` are a due kind of their own, worked `batch_size` at a time."""
    scheduling.register_due_kind(
        kind,
        "notifications.Job",
        work,
        batch_size=batch_size,
        only={"kind": kind},
        owns_transactions=owns_transactions,
    )


def jobs_schedule(
    *,
    kind: str,
    target_ids: Iterable[int],
    due_at: datetime | None = None,
    not_before_last_plus: timedelta | None = None,
) -> None:
    """Make sure a job of `kind` waits for each target, due at `due_at` (default now).

    A job already waiting keeps its moment. A finished one is armed again, no earlier than
    `not_before_last_plus` after it last finished (an hourly bundle: an hour after the last one).
    The dispatcher is kicked after commit when the job is due now.
    """
    target_ids = sorted(set(target_ids))
    if not target_ids:
        return
    now = clock.now()
    due_at = due_at or now
    Job.objects.bulk_create(
        [Job(kind=kind, target_id=target_id, due_at=due_at) for target_id in target_ids],
        ignore_conflicts=True,
        batch_size=1000,
    )
    due = Value(due_at, output_field=DateTimeField())
    if not_before_last_plus is not None:
        after_last = ExpressionWrapper(
            F("done_at") + not_before_last_plus, output_field=DateTimeField()
        )
        # A job that failed or was cancelled has no done_at: it is simply due.
        due = Greatest(due, Coalesce(after_last, due))
    Job.objects.filter(kind=kind, target_id__in=target_ids, status__in=FINISHED).update(
        status=DueStatus.PENDING,
        due_at=due,
        attempts=0,
        last_error="",
        claimed_until=None,
        run_token="",
    )
    if due_at <= now:
        scheduling.kick(kind)


def jobs_cancel(*, kind: str, target_ids: Iterable[int]) -> int:
    return Job.objects.filter(
        kind=kind, target_id__in=list(target_ids), status=DueStatus.PENDING
    ).update(status=DueStatus.CANCELLED)
