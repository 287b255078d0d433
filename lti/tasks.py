from celery import shared_task

from notifications import scheduling


@shared_task(acks_late=True)
def run_lti_job(kind: str, row_id: int) -> bool:
    """Sync one course's roster or send one link's grades, once per due moment."""
    from lti.services import lti_grades_sync, lti_roster_sync

    work = lti_roster_sync if kind == "lti_roster_sync" else lti_grades_sync
    return scheduling.process_due_row(scheduling.due_kind(kind).model, row_id, work)
