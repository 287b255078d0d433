from celery import shared_task

from notifications import scheduling


@shared_task(acks_late=True)
def run_round_event(kind: str, event_id: int) -> bool:
    """Open, remind or close a round, once, however often the dispatcher hands the step over."""
    from surveys.services import round_event_run

    return scheduling.process_due_row(scheduling.due_kind(kind).model, event_id, round_event_run)
