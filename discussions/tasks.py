from celery import shared_task

from notifications import scheduling


@shared_task(acks_late=True)
def release_prompt(kind: str, prompt_id: int) -> bool:
    """Release one due prompt, once, however often the dispatcher hands it over."""
    from discussions.services import prompt_release

    return scheduling.process_due_row(scheduling.due_kind(kind).model, prompt_id, prompt_release)


@shared_task(acks_late=True)
def send_daily_digests() -> int:
    """Beat, daily at 07:00 UTC: one digest email per person with something new."""

    from discussions.services import digests_send

    return digests_send()
