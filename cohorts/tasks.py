from celery import shared_task
from django.http import Http404

from accounts.models import User
from cohorts import access
from cohorts.models import RosterImport


@shared_task(acks_late=True)
def roster_import_run_task(roster_import_id: int, user_id: int) -> str:
    """Import a confirmed roster, as the person who confirmed it (access is checked again)."""
    from cohorts.services import roster_import_run

    cohort_id = (
        RosterImport.objects.filter(pk=roster_import_id).values_list("cohort_id", flat=True).first()
    )
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if cohort_id is None or user is None:
        return "gone"
    try:
        roster_import = access.get_roster_import_for(user, cohort_id, roster_import_id)
    except Http404:
        RosterImport.objects.filter(pk=roster_import_id).update(
            status=RosterImport.Status.FAILED,
            failure="No longer allowed to import into this cohort.",
        )
        return "refused"
    return roster_import_run(roster_import=roster_import, invited_by=user).status
