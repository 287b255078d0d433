from celery import shared_task

from notifications import scheduling


@shared_task(acks_late=True)
def run_delivery_step(kind: str, delivery_id: int) -> bool:
    """Send, remind or expire one spark ask, once, however often the dispatcher hands it over."""
    from sparks.services import delivery_step

    return scheduling.process_due_row(scheduling.due_kind(kind).model, delivery_id, delivery_step)


@shared_task(acks_late=True)
def plan_sparks() -> int:
    """Beat, hourly: plan every cohort with sparks, so late enrolments get the asks ahead."""
    from cohorts.models import Cohort
    from sparks.services import sparks_plan

    planned = 0
    for cohort in Cohort.objects.filter(sparks__cancelled_at__isnull=True).distinct():
        planned += sparks_plan(cohort=cohort)
    return planned
