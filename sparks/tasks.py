from celery import shared_task


@shared_task(acks_late=True)
def plan_sparks() -> int:
    """Beat, hourly: plan every cohort with sparks, so late enrolments get the asks ahead."""
    from cohorts.models import Cohort
    from sparks.planning import sparks_plan

    planned = 0
    for cohort in Cohort.objects.filter(sparks__cancelled_at__isnull=True).distinct():
        planned += sparks_plan(cohort=cohort)
    return planned
