from celery import shared_task

from insights.rollups import rollups_refresh


@shared_task
def refresh_rollups() -> int:
    """Run by beat every 10 minutes, so the dashboard is never more than ~10 minutes stale."""
    return rollups_refresh()
