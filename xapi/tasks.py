"""Thin tasks: the beat fan-out, and one push per organisation that owns the retry policy."""

from celery import shared_task

from xapi.lrs import LrsUnavailable
from xapi.models import LrsConfig


@shared_task(acks_late=True)
def push_all_lrs() -> int:
    """Beat: one push task per organisation with an enabled LRS that has not refused us."""
    ids = list(
        LrsConfig.objects.filter(enabled=True, halted_at__isnull=True).values_list("pk", flat=True)
    )
    for config_id in ids:
        push_lrs_statements.delay(config_id)
    return len(ids)


@shared_task(
    acks_late=True,
    autoretry_for=(LrsUnavailable,),
    retry_backoff=15,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def push_lrs_statements(config_id: int) -> int:
    from xapi.services import lrs_push

    return lrs_push(config_id=config_id)
