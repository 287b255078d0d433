"""Background roster imports survive a lost task: the sweep resumes them from the last chunk."""

from datetime import timedelta

from accounts.models import Invitation
from cohorts import services
from cohorts.models import Enrolment, RosterImport
from notifications.models import OutboxMessage
from socialtraining import clock

ROWS = 700


def _queued_import(world, *, status="queued", processed=0, heartbeat_ago=timedelta(hours=1)):
    return RosterImport.objects.create(
        cohort=world.cohort,
        uploaded_by=world.instructor,
        requested_by=world.instructor,
        filename="big.csv",
        rows=[
            {"line": n + 2, "email": f"p{n}@bulk.test", "name": f"P {n}", "group": ""}
            for n in range(ROWS)
        ],
        importable_count=ROWS,
        total_rows=ROWS,
        status=status,
        processed_rows=processed,
        heartbeat_at=clock.now() - heartbeat_ago,
    )


def test_it_starts_an_import_whose_task_the_broker_lost(world, django_capture_on_commit_callbacks):
    roster_import = _queued_import(world)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.roster_imports_resume() == [roster_import.pk]
    roster_import.refresh_from_db()
    assert roster_import.status == "done"
    assert (roster_import.processed_rows, roster_import.created_count) == (ROWS, ROWS)
    enrolled = Enrolment.objects.filter(cohort=world.cohort, user__email__endswith="@bulk.test")
    assert enrolled.count() == ROWS
    assert Invitation.objects.count() == ROWS


def test_it_resumes_a_killed_import_from_its_last_committed_chunk(
    world, django_capture_on_commit_callbacks
):
    # The first chunk of 500 committed, then the worker died; only the other 200 remain to do.
    roster_import = _queued_import(world, status="running", processed=500)
    with django_capture_on_commit_callbacks(execute=True):
        services.roster_imports_resume()
    roster_import.refresh_from_db()
    assert roster_import.status == "done"
    assert roster_import.processed_rows == ROWS
    assert roster_import.created_count == ROWS - 500
    assert roster_import.runs == 1


def test_it_leaves_a_running_import_with_a_fresh_heartbeat_alone(world):
    roster_import = _queued_import(world, status="running", heartbeat_ago=timedelta(seconds=5))
    assert services.roster_imports_resume() == []
    returned = services.roster_import_run(roster_import=roster_import, invited_by=world.instructor)
    assert (returned.status, returned.processed_rows) == ("running", 0)


def test_it_fails_an_import_that_keeps_dying(world):
    roster_import = _queued_import(world, status="running")
    RosterImport.objects.filter(pk=roster_import.pk).update(runs=services.ROSTER_MAX_RUNS)
    assert services.roster_imports_resume() == []
    roster_import.refresh_from_db()
    assert roster_import.status == "failed"
    assert "upload it again" in roster_import.failure


def test_it_writes_each_chunk_s_invitation_mails_with_the_chunk(
    world, django_capture_on_commit_callbacks
):
    roster_import = _queued_import(world)
    # Nothing enqueued runs: the mails are in the outbox anyway, for the sweep to send.
    with django_capture_on_commit_callbacks(execute=False):
        services.roster_import_run(roster_import=roster_import, invited_by=world.instructor)
    invitations = OutboxMessage.objects.filter(idempotency_key__startswith="invitation:")
    assert invitations.count() == ROWS
    assert invitations.filter(status="pending").count() == ROWS
