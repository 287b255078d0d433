from celery import shared_task

from notifications import scheduling


@shared_task(acks_late=True)
def dispatch_due() -> dict[str, int]:
    """Beat, each minute: claim due rows of every kind and hand them to their tasks."""
    return scheduling.dispatch_all()


@shared_task(acks_late=True)
def send_outbox_message(kind: str, message_id: int) -> bool:
    from notifications.services import outbox_deliver

    return scheduling.process_due_row(scheduling.due_kind(kind).model, message_id, outbox_deliver)
