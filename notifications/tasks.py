"""Thin tasks of the due-row mechanism: the dispatcher and the one task that works a batch."""

from celery import shared_task

from notifications import scheduling
from notifications.outbox import sent_by_this_run


@shared_task(acks_late=True)
def dispatch_due(kinds: list[str] | None = None) -> dict[str, int]:
    """Beat, each minute (every kind), and kicks after commits (the kinds they name): claim due
    rows and hand them to `run_due_batch` in batches. Routed to the `dispatch` queue."""
    return scheduling.dispatch_all(kinds)


@shared_task(acks_late=True)
def run_due_batch(kind: str, ids: list[int]) -> int:
    """Work one claimed batch of one kind, once, however often the batch is handed over."""
    due_kind = scheduling.due_kind(kind)
    with sent_by_this_run(due_kind):
        finished = scheduling.run_batch(due_kind, ids)
    if len(ids) >= due_kind.size:
        # A full batch: more of the kind is probably due, so the dispatcher tops the queue up.
        dispatch_due.delay([kind])
    return finished


@shared_task(acks_late=True)
def send_daily_digests() -> int:
    """Beat, daily at 07:00 UTC: one digest email per person with something waiting for it."""
    from notifications.bundles import digests_send

    return digests_send()
