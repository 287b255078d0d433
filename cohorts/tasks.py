"""Thin tasks: take ids, re-check access as the person who asked, call a service."""

from celery import shared_task
from django.http import Http404

from accounts.models import User
from cohorts import access
from cohorts.models import RosterImport


def _roster_import_as(roster_import_id: int, user_id: int) -> RosterImport | None:
    """The import, fetched through the access layer as `user_id`; None if gone or not allowed."""
    cohort_id = (
        RosterImport.objects.filter(pk=roster_import_id).values_list("cohort_id", flat=True).first()
    )
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if cohort_id is None or user is None:
        return None
    try:
        roster_import = access.get_roster_import_for(user, cohort_id, roster_import_id)
    except Http404:
        return None
    roster_import.requested_by = user
    return roster_import


@shared_task(acks_late=True)
def roster_import_run_task(roster_import_id: int, user_id: int) -> str:
    """Import a confirmed roster, as the person who confirmed it."""
    from cohorts.services import roster_import_run

    roster_import = _roster_import_as(roster_import_id, user_id)
    if roster_import is None:
        RosterImport.objects.filter(pk=roster_import_id).update(
            status=RosterImport.Status.FAILED,
            failure="The person who confirmed this import may no longer change the cohort.",
        )
        return "refused"
    return roster_import_run(
        roster_import=roster_import, invited_by=roster_import.requested_by
    ).status


@shared_task
def resume_roster_imports() -> list[int]:
    """Beat, each minute: start again the background imports whose task was lost."""
    from cohorts.services import roster_imports_resume

    return roster_imports_resume()
