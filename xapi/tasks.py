from celery import shared_task
from django.core.cache import cache

from xapi.models import LrsEndpoint
from xapi.services import LrsRefused, LrsUnavailable, lrs_push

# Longer than a push of PUSH_MAX_BATCHES can take, so two runs never push one LRS at once.
PUSH_LOCK_SECONDS = 15 * 60


@shared_task
def push_statements() -> int:
    """Beat, every five minutes: a push task per enabled LRS that is not halted."""
    endpoints = LrsEndpoint.objects.filter(enabled=True, halted_at__isnull=True)
    pks = list(endpoints.values_list("pk", flat=True))
    for pk in pks:
        push_to_lrs.delay(pk)
    return len(pks)


# An unreachable or failing LRS (5xx) is tried again after 30 s, 60 s, 120 s… up to 30 minutes,
# six times; after that the next beat run starts again from the same cursor.
@shared_task(
    autoretry_for=(LrsUnavailable,),
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=6,
)
def push_to_lrs(endpoint_pk: int) -> int:
    lock = f"xapi:push:{endpoint_pk}"
    if not cache.add(lock, "1", timeout=PUSH_LOCK_SECONDS):
        return 0
    try:
        endpoint = LrsEndpoint.objects.select_related("organization").filter(pk=endpoint_pk).first()
        if endpoint is None:
            return 0
        result = lrs_push(endpoint=endpoint)
    except LrsRefused:
        # Recorded on the endpoint and shown to its managers; retrying would be refused again.
        return 0
    finally:
        cache.delete(lock)
    if result.more:
        push_to_lrs.delay(endpoint_pk)
    return result.sent
