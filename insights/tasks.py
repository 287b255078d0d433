from celery import shared_task

from insights.confident_wrong import confident_wrong_scan
from insights.rollups import rollups_refresh


@shared_task
def refresh_rollups() -> int:
    """Run by beat every 10 minutes, so the dashboard is never more than ~10 minutes stale."""
    return rollups_refresh()


@shared_task
def scan_confident_wrong() -> int:
    """Run by beat every 10 minutes: tell instructors what many were sure of and got wrong."""
    return len(confident_wrong_scan())
