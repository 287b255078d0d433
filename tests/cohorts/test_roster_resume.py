"""Background roster imports are jobs: one chunk per run, resumed from the last committed chunk
after a lost task or a killed worker, through the one due-row mechanism."""

from datetime import timedelta

from django.db import transaction

from accounts.models import Invitation
from cohorts import roster_imports
from cohorts.models import Enrolment, RosterImport
from notifications import scheduling
from notifications.jobs import jobs_schedule
from notifications.models import Job, OutboxMessage
from notifications.scheduling import DueStatus
from notifications.tasks import run_due_batch

ROWS = 700


def _queued_import(world, *, status="queued", processed=0, requested_by=None):
    roster_import = RosterImport.objects.create(
        cohort=world.cohort,
        uploaded_by=world.instructor,
        requested_by=requested_by or world.instructor,
        filename="big.csv",
        rows=[
            {"line": n + 2, "email": f"p{n}@bulk.test", "name": f"P {n}", "group": ""}
            for n in range(ROWS)
        ],
        importable_count=ROWS,
        total_rows=ROWS,
        status=status,
        processed_rows=processed,
    )
    jobs_schedule(kind=roster_imports.ROSTER_IMPORT_JOB, target_ids=[roster_import.pk])
    return roster_import


def _job(roster_import) -> Job:
    return Job.objects.get(kind=roster_imports.ROSTER_IMPORT_JOB, target_id=roster_import.pk)


def test_it_imports_one_chunk_per_run_until_done(world, deliver):
    roster_import = _queued_import(world)
    assert scheduling.run_now(roster_imports.ROSTER_IMPORT_JOB) == 1
    roster_import.refresh_from_db()
    assert (roster_import.status, roster_import.processed_rows) == ("running", 500)
    # Due again at once for the next chunk.
    assert _job(roster_import).status == DueStatus.PENDING
    deliver()
    roster_import.refresh_from_db()
    assert roster_import.status == "done"
    assert (roster_import.processed_rows, roster_import.created_count) == (ROWS, ROWS)
    enrolled = Enrolment.objects.filter(cohort=world.cohort, user__email__endswith="@bulk.test")
    assert enrolled.count() == ROWS
    assert Invitation.objects.count() == ROWS
    assert _job(roster_import).status == DueStatus.DONE


def test_it_resumes_a_killed_import_from_its_last_committed_chunk(world, travel, settings):
    # The first chunk of 500 committed, then the worker died in the second: its claim runs out.
    roster_import = _queued_import(world, status="running", processed=500)
    with transaction.atomic():
        scheduling.claim_due_rows(scheduling.due_kind(roster_imports.ROSTER_IMPORT_JOB))
    assert scheduling.run_now(roster_imports.ROSTER_IMPORT_JOB) == 0
    travel.by(timedelta(seconds=settings.DUE_LEASE_SECONDS + 1))
    assert scheduling.run_now(roster_imports.ROSTER_IMPORT_JOB) == 1
    roster_import.refresh_from_db()
    assert roster_import.status == "done"
    assert roster_import.processed_rows == ROWS
    assert roster_import.created_count == ROWS - 500


def test_it_imports_each_chunk_once_when_its_tasks_are_delivered_twice(world, deliver):
    roster_import = _queued_import(world)
    with transaction.atomic():
        claimed = scheduling.claim_due_rows(scheduling.due_kind(roster_imports.ROSTER_IMPORT_JOB))
    # A redelivered task either finds its step done or does the step that is due now, once.
    for _ in range(4):
        run_due_batch(roster_imports.ROSTER_IMPORT_JOB, claimed)
    deliver()
    roster_import.refresh_from_db()
    assert (roster_import.status, roster_import.processed_rows) == ("done", ROWS)
    assert roster_import.created_count == ROWS
    assert Invitation.objects.count() == ROWS


def test_it_refuses_someone_who_lost_access(world):
    roster_import = _queued_import(world, requested_by=world.participant)
    scheduling.run_now(roster_imports.ROSTER_IMPORT_JOB)
    roster_import.refresh_from_db()
    assert roster_import.status == "failed"
    assert "may no longer change the cohort" in roster_import.failure
    assert not Enrolment.objects.filter(user__email__endswith="@bulk.test").exists()


def test_it_writes_each_chunk_s_invitation_mails_with_the_chunk(world):
    roster_import = _queued_import(world)
    # The mails are in the outbox with the chunk: sent by the outbox's own batches.
    scheduling.run_now(roster_imports.ROSTER_IMPORT_JOB)
    invitations = OutboxMessage.objects.filter(idempotency_key__startswith="invitation:")
    assert invitations.count() == 500
    assert invitations.filter(status="pending").count() == 500
    roster_import.refresh_from_db()
    assert roster_import.processed_rows == 500
