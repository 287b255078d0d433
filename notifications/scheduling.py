"""The one mechanism for everything that comes due later, worked in batches.

Each scheduled thing is a row (a subclass of `DueRow`) with `due_at` and a status; each kind of
row is registered with the function that does its work on a batch of rows (`register_due_kind`).

1. **Claim.** A dispatcher (`dispatch_kind`, run by beat each minute and "kicked" after a commit
   that made something due) claims due rows in batches: `select_for_update(skip_locked=True)` on
   PostgreSQL, so parallel dispatchers never claim the same row. A claimed row carries a lease
   (`claimed_until`). The dispatcher keeps at most DUE_DISPATCH_BATCHES batches per kind waiting
   for a worker, so a backlog of 100,000 rows is fed to the workers as they free up, and it runs
   on a queue of its own, so no backlog of work ever delays it.
2. **Take.** One task per batch (`run_batch`) first takes the rows for itself: a run token, a
   fresh lease and one more attempt, committed on their own. Attempts count work started, so a
   batch that waits long in the queue is never failed for it, while a row whose work kills its
   worker every time is failed after `max_attempts`. A second task for the same rows (a
   redelivery, a second dispatcher) takes nothing.
3. **Work.** Most kinds work inside one transaction that holds the rows' locks and also marks
   them done (or due again, for a row with several steps), so the work and the row's status
   commit together: exactly once. If the batch fails, each row is retried on its own so one bad
   row holds back nobody else. Kinds that reach outside the database (the outbox's SMTP) own
   their transactions and finish each row as soon as the outside world accepted it.

A row whose lease ran out (the worker died, Redis was flushed) is claimable again; nothing is
scheduled with a Celery ETA, and Redis may lose everything without losing work.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Case, F, Q, Value, When

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
    # The task run that took the claimed row: empty until one does.
    run_token = models.CharField(max_length=32, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    # How often a failing row is tried before it is marked failed.
    max_attempts = 5

    class Meta:
        abstract = True
        indexes = [models.Index(fields=["status", "due_at"])]

    def retry_delay(self) -> timedelta:
        """2, 4, 8 … 64 minutes after failed attempts (by default: DUE_RETRY_BASE_SECONDS)."""
        return timedelta(seconds=settings.DUE_RETRY_BASE_SECONDS * 2 ** (min(self.attempts, 6) - 1))


# The work of a kind: given the batch's rows, do it and return when rows with a next step are due
# again; every row not in the result is done.
BatchWork = Callable[[list], dict[int, datetime]]


@dataclass(frozen=True)
class DueKind:
    name: str
    model_label: str
    work: BatchWork
    batch_size: int | None = None
    # Rows of the model that belong to this kind (for models shared by several kinds).
    only: dict = field(default_factory=dict)
    # True when `work(rows, token)` commits each row itself through `finish_rows` (the outbox).
    owns_transactions: bool = False

    @property
    def model(self) -> type[DueRow]:
        return apps.get_model(self.model_label)

    @property
    def size(self) -> int:
        return self.batch_size or settings.DUE_BATCH_SIZE

    def rows(self) -> models.QuerySet:
        return self.model.objects.filter(**self.only)


_kinds: dict[str, DueKind] = {}


def register_due_kind(
    name: str,
    model_label: str,
    work: BatchWork,
    *,
    batch_size: int | None = None,
    only: dict | None = None,
    owns_transactions: bool = False,
) -> None:
    _kinds[name] = DueKind(name, model_label, work, batch_size, only or {}, owns_transactions)


def due_kinds() -> list[DueKind]:
    return list(_kinds.values())


def due_kind(name: str) -> DueKind:
    return _kinds[name]


# Distinct next moments in a batch up to which each gets its own plain update (else one CASE).
MOMENTS_PER_UPDATE = 10


def lease() -> timedelta:
    return timedelta(seconds=settings.DUE_LEASE_SECONDS)


# 1. Claim


def claimable(kind: DueKind, now: datetime) -> models.QuerySet:
    return kind.rows().filter(
        Q(status=DueStatus.PENDING, due_at__lte=now)
        | Q(status=DueStatus.CLAIMED, claimed_until__lt=now)
    )


def claim_due_rows(kind: DueKind, *, limit: int | None = None) -> list[int]:
    """Claim at most `limit` due rows under a lease and return their ids (call inside atomic).

    Pending rows first, in due order (the (status, due_at) index hands them over already sorted,
    so a backlog of 100,000 costs no sort per claim), then claims whose lease ran out.
    """
    now = clock.now()
    limit = limit or kind.size
    ids: list[int] = []
    for rows in (
        kind.rows().filter(status=DueStatus.PENDING, due_at__lte=now).order_by("due_at", "pk"),
        kind.rows().filter(status=DueStatus.CLAIMED, claimed_until__lt=now).order_by("pk"),
    ):
        if len(ids) < limit:
            ids += rows.select_for_update(skip_locked=True).values_list("pk", flat=True)[
                : limit - len(ids)
            ]
    if ids:
        kind.model.objects.filter(pk__in=ids).update(
            status=DueStatus.CLAIMED, claimed_until=now + lease(), run_token=""
        )
    return ids


def fail_abandoned_rows(kind: DueKind, *, now: datetime) -> int:
    """Rows whose work started `max_attempts` times and never finished are failed, not retried."""
    return (
        kind.rows()
        .filter(
            status=DueStatus.CLAIMED,
            claimed_until__lt=now,
            attempts__gte=kind.model.max_attempts,
        )
        .update(
            status=DueStatus.FAILED,
            claimed_until=None,
            last_error="Started repeatedly without finishing (worker lost or killed).",
        )
    )


def waiting_batches(kind: DueKind, now: datetime) -> int:
    """Batches claimed for a worker that no worker has taken yet (lease still running)."""
    rows = kind.rows().filter(status=DueStatus.CLAIMED, run_token="", claimed_until__gte=now)
    return -(-rows.count() // kind.size)


def dispatch_kind(kind: DueKind, *, max_batches: int | None = None) -> int:
    """Claim due rows batch by batch and enqueue one task per batch after each commit.

    At most `max_batches` (DUE_DISPATCH_BATCHES) batches wait for a worker at any time: a finished
    batch kicks the dispatcher again, so a large backlog flows at the pace of the workers.
    """
    from notifications.tasks import run_due_batch

    now = clock.now()
    fail_abandoned_rows(kind, now=now)
    room = (max_batches or settings.DUE_DISPATCH_BATCHES) - waiting_batches(kind, now)
    total = 0
    for _ in range(max(room, 0)):
        with transaction.atomic():
            ids = claim_due_rows(kind)
            if ids:
                # robust: a batch whose task cannot be enqueued stays claimed and comes back after
                # the lease; the other kinds still go out.
                transaction.on_commit(
                    lambda ids=ids: run_due_batch.delay(kind.name, ids), robust=True
                )
        total += len(ids)
        if len(ids) < kind.size:
            break
    return total


def dispatch_all(kinds: Iterable[str] | None = None) -> dict[str, int]:
    chosen = [due_kind(name) for name in kinds] if kinds else due_kinds()
    return {kind.name: dispatch_kind(kind) for kind in chosen}


_held = threading.local()


def kick(*kind_names: str) -> None:
    """After the current transaction commits, have the dispatcher claim these kinds' due rows now
    rather than at the next minute (robust: with the broker down the minute's sweep finds them)."""
    from notifications.tasks import dispatch_due

    if getattr(_held, "kicks", False):
        return
    names = sorted(set(kind_names))
    transaction.on_commit(lambda: dispatch_due.delay(names), robust=True)


@contextmanager
def kicks_held() -> Iterator[None]:
    """Within the block `kick` enqueues nothing: for the demo's seeding, which writes history
    that no dispatcher needs to hear about (what is due later, beat's minute sweep finds)."""
    _held.kicks = True
    try:
        yield
    finally:
        _held.kicks = False


# 2. Take


def take_rows(kind: DueKind, ids: list[int]) -> tuple[str, list[int]]:
    """Take claimed rows for this run: a token, a fresh lease and one more attempt, committed.

    Rows another live run has taken are left to it; a run whose lease ran out is presumed dead.
    """
    now = clock.now()
    token = secrets.token_hex(16)
    with transaction.atomic():
        kind.model.objects.filter(pk__in=ids, status=DueStatus.CLAIMED).filter(
            Q(run_token="") | Q(claimed_until__lt=now)
        ).update(run_token=token, claimed_until=now + lease(), attempts=F("attempts") + 1)
    taken = list(
        kind.model.objects.filter(pk__in=ids, run_token=token, status=DueStatus.CLAIMED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return token, taken


def renew_lease(kind: DueKind, token: str) -> None:
    """A long run keeps its rows: nobody may take them while it still works on them."""
    kind.model.objects.filter(run_token=token, status=DueStatus.CLAIMED).update(
        claimed_until=clock.now() + lease()
    )


# 3. Work and finish


def finish_rows(
    kind: DueKind, *, token: str, ids: Iterable[int], next_due: dict[int, datetime] | None = None
) -> int:
    """Mark this run's rows done, or pending again at their next step's moment (fresh attempts)."""
    ids = list(ids)
    next_due = {pk: due for pk, due in (next_due or {}).items() if pk in set(ids)}
    now = clock.now()
    owned = kind.model.objects.filter(run_token=token, status=DueStatus.CLAIMED)
    done = [pk for pk in ids if pk not in next_due]
    finished = 0
    if done:
        finished += owned.filter(pk__in=done).update(
            status=DueStatus.DONE, done_at=now, claimed_until=None, last_error=""
        )
    # Rows of one step in a batch mostly come due again at the same moment: one update each.
    by_moment: dict[datetime, list[int]] = {}
    for pk, due in next_due.items():
        by_moment.setdefault(due, []).append(pk)
    again = {"status": DueStatus.PENDING, "attempts": 0, "claimed_until": None}
    again |= {"run_token": "", "last_error": ""}
    if len(by_moment) <= MOMENTS_PER_UPDATE:
        for due, pks in by_moment.items():
            finished += owned.filter(pk__in=pks).update(due_at=due, **again)
    elif next_due:
        finished += owned.filter(pk__in=list(next_due)).update(
            due_at=Case(*(When(pk=pk, then=Value(due)) for pk, due in next_due.items())),
            **again,
        )
    return finished


def finish_row(kind: DueKind, *, token: str, pk: int) -> int:
    """Mark one row of this run done, in one cheap statement (the outbox's, once per email).

    The row is found by its primary key and this run's token (a row released or refused has lost
    the token). No `status = 'claimed'`: the planner, whose statistics see few claimed rows, would
    serve that from the (status, due_at) index and read every claimed row for each email, a batch
    costing the square of its size.
    """
    table = connection.ops.quote_name(kind.model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, done_at = %s, claimed_until = NULL, last_error = '' "
            "WHERE id = %s AND run_token = %s AND status <> %s",
            [DueStatus.DONE, clock.now(), pk, token, DueStatus.DONE],
        )
        return cursor.rowcount


def release_rows(kind: DueKind, *, token: str, ids: Iterable[int], error: BaseException) -> None:
    """Rows whose work failed go back to pending after a backoff, or fail for good."""
    now = clock.now()
    message = f"{type(error).__name__}: {error}"[:2000]
    logger.warning("%s: %s rows failed: %s", kind.name, len(list(ids)), message)
    rows = kind.model.objects.filter(pk__in=list(ids), run_token=token, status=DueStatus.CLAIMED)
    for row in rows.only("pk", "attempts"):
        if row.attempts >= row.max_attempts:
            changes = {"status": DueStatus.FAILED}
        else:
            changes = {"status": DueStatus.PENDING, "due_at": now + row.retry_delay()}
        kind.model.objects.filter(pk=row.pk, run_token=token).update(
            claimed_until=None, run_token="", last_error=message, **changes
        )


def _work_locked(kind: DueKind, token: str, ids: list[int]) -> int:
    with transaction.atomic():
        rows = list(
            kind.model.objects.select_for_update()
            .filter(pk__in=ids, run_token=token, status=DueStatus.CLAIMED)
            .order_by("pk")
        )
        if not rows:
            return 0
        next_due = kind.work(rows) or {}
        return finish_rows(kind, token=token, ids=[row.pk for row in rows], next_due=next_due)


def run_batch(kind: DueKind, ids: list[int]) -> int:
    """Do the work of a claimed batch once; return how many rows this run finished."""
    token, taken = take_rows(kind, ids)
    if not taken:
        return 0
    if kind.owns_transactions:
        return run_taken(kind, token, taken)
    try:
        return _work_locked(kind, token, taken)
    except Exception as error:
        if len(taken) == 1:
            release_rows(kind, token=token, ids=taken, error=error)
            return 0
        logger.info("%s: batch of %s failed (%s); row by row", kind.name, len(taken), error)
    finished = 0
    for pk in taken:
        try:
            finished += _work_locked(kind, token, [pk])
        except Exception as error:
            release_rows(kind, token=token, ids=[pk], error=error)
    return finished


def run_taken(kind: DueKind, token: str, ids: list[int]) -> int:
    """Work rows this run has taken, for a kind that owns its transactions; what fails goes back
    to pending after a backoff."""
    try:
        return kind.work(kind.model.objects.filter(pk__in=ids).order_by("pk"), token)
    except Exception as error:
        release_rows(kind, token=token, ids=ids, error=error)
        return 0


def row_by_row(kind_name: str, work: Callable[[DueRow], datetime | None]) -> Callable:
    """Batch work for a kind that talks to the outside world one row at a time (an LMS, say):
    each row is worked and finished on its own, outside any long transaction, and a failing row
    backs off alone. `work(row)` returns when the row is due again, or None when it is done."""

    def run(rows: models.QuerySet, token: str) -> int:
        kind = due_kind(kind_name)
        finished = 0
        for row in rows:
            try:
                next_due = work(row)
            except Exception as error:
                release_rows(kind, token=token, ids=[row.pk], error=error)
                continue
            again = {row.pk: next_due} if isinstance(next_due, datetime) else None
            finished += finish_rows(kind, token=token, ids=[row.pk], next_due=again)
        return finished

    return run


def run_now(kind_name: str, ids: list[int] | None = None) -> int:
    """Claim and work these rows (default: every due row of the kind) at once, in this process:
    for the demo's replay of history and for tests that step through time. Rows not due or
    claimed by someone else are left."""
    kind = due_kind(kind_name)
    now = clock.now()
    with transaction.atomic():
        rows = claimable(kind, now)
        if ids is not None:
            rows = rows.filter(pk__in=ids)
        claimed = list(
            rows.order_by("due_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        kind.model.objects.filter(pk__in=claimed).update(
            status=DueStatus.CLAIMED, claimed_until=now + lease(), run_token=""
        )
    return run_batch(kind, claimed) if claimed else 0
