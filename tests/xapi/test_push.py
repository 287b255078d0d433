import base64
from datetime import timedelta

import pytest

from discussions import posting
from discussions.models import Post
from notifications import scheduling
from notifications.models import Job
from notifications.scheduling import DueStatus
from socialtraining import clock
from surveys.models import Response, ResponseStatus
from xapi.lrs import LrsUnavailable
from xapi.models import LrsConfig, LrsCursor
from xapi.services import LRS_PUSH_JOB, lrs_config_save, lrs_push
from xapi.statements import statement_id, statements_iter


def push_statements(config) -> int:
    """One push of the organisation's new statements, as its job runs it; how many were taken."""
    return lrs_push(config_id=config.pk)


def run_push_job(config) -> Job:
    """The organisation's push job, run now if it is due (as the dispatcher would)."""
    scheduling.run_now(LRS_PUSH_JOB)
    return Job.objects.get(kind=LRS_PUSH_JOB, target_id=config.pk)


@pytest.fixture(autouse=True)
def _push_settings(settings):
    # Small batches so a push takes several; no settling wait, the rows are written before.
    settings.XAPI_PUSH_BATCH_SIZE = 2
    settings.XAPI_PUSH_SETTLE_SECONDS = 0
    settings.POST_EDIT_WINDOW_MINUTES = 0


@pytest.fixture
def config(world, fake_lrs):
    """Connected as a manager does it: the push job is armed at once."""
    return lrs_config_save(
        organization=world.organization,
        endpoint=fake_lrs.url,
        username=fake_lrs.username,
        secret=fake_lrs.secret,
        enabled=True,
    )


def _expected_ids(world) -> set[str]:
    return {s["id"] for s in statements_iter(organization_id=world.organization.pk)}


def _cursors(world) -> dict[str, int]:
    return dict(
        LrsCursor.objects.filter(organization=world.organization).values_list("source", "last_pk")
    )


def test_it_pushes_each_statement_once_then_again_every_interval(
    world, activity, config, fake_lrs, travel, settings
):
    job = run_push_job(config)
    assert set(fake_lrs.received) == _expected_ids(world)
    assert len(fake_lrs.received) == len(set(fake_lrs.received)) == 9
    request = fake_lrs.requests[0]
    assert request["path"] == "/xapi/statements"
    assert request["headers"]["x-experience-api-version"] == "1.0.3"
    credentials = base64.b64encode(b"lrs-key:lrs-secret").decode()
    assert request["headers"]["authorization"] == f"Basic {credentials}"
    assert all(len(r["body"]) <= 2 for r in fake_lrs.requests)
    config.refresh_from_db()
    assert config.last_success_at is not None
    assert (config.pushed_count, config.last_error) == (9, "")
    # The job comes due again after the interval: nothing earlier, and then nothing new to send.
    assert job.status == DueStatus.PENDING
    assert job.due_at - clock.now() > timedelta(seconds=settings.XAPI_PUSH_EVERY_SECONDS - 5)
    sent = len(fake_lrs.requests)
    run_push_job(config)
    travel.to(job.due_at)
    assert run_push_job(config).due_at > job.due_at
    assert len(fake_lrs.requests) == sent


def test_it_pushes_only_what_is_new_since_the_cursor(world, activity, config, fake_lrs):
    push_statements(config)
    late = posting.post_reply(
        thread=activity.question, author=world.groupmate, body="Late", idempotency_key="late"
    )
    fake_lrs.requests.clear()
    push_statements(config)
    assert [s["result"]["response"] for r in fake_lrs.requests for s in r["body"]] == ["Late"]
    assert _cursors(world)["posts"] == late.pk


def test_it_retries_soon_after_a_503_then_succeeds(world, activity, config, fake_lrs, travel):
    fake_lrs.fail_with = [503]
    job = run_push_job(config)
    assert job.due_at - clock.now() <= timedelta(seconds=15)
    config.refresh_from_db()
    assert "HTTP 503" in config.last_error
    travel.to(job.due_at)
    run_push_job(config)
    assert set(fake_lrs.stored) == _expected_ids(world)
    # The refused batch went again; the LRS stored each statement once.
    assert len(fake_lrs.received) == 9
    config.refresh_from_db()
    assert (config.last_error, config.halted_at) == ("", None)


def test_it_keeps_trying_an_unreachable_lrs_less_and_less_often_and_keeps_the_cursor(
    world, activity, config, fake_lrs, travel, settings
):
    fake_lrs.always_fail_with = 503
    waits = []
    for _ in range(8):
        job = run_push_job(config)
        waits.append(round((job.due_at - clock.now()).total_seconds()))
        travel.to(job.due_at)
    assert waits == sorted(waits) and waits[0] <= 15
    # Never slower than the regular interval, and never given up: the LRS may come back.
    assert waits[-1] <= settings.XAPI_PUSH_EVERY_SECONDS
    assert len(fake_lrs.requests) == 8
    assert set(_cursors(world).values()) == {0}
    config.refresh_from_db()
    assert "HTTP 503" in config.last_error
    assert config.halted_at is None
    with pytest.raises(LrsUnavailable):
        push_statements(config)


def test_it_records_a_refusal_and_stops(world, activity, config, fake_lrs, client_for, travel):
    fake_lrs.always_fail_with = 400
    assert run_push_job(config).status == DueStatus.DONE
    assert len(fake_lrs.requests) == 1
    assert set(_cursors(world).values()) == {0}
    config.refresh_from_db()
    assert config.halted_at is not None
    assert "HTTP 400" in config.last_error

    # Not retried forever: a stopped LRS is left alone until a manager saves its settings.
    travel.by(timedelta(days=1))
    assert push_statements(config) == 0
    run_push_job(config)
    assert len(fake_lrs.requests) == 1
    html = client_for(world.manager).get(f"/org/{world.organization.slug}/xapi/").content.decode()
    assert "told to fail with 400" in html
    assert "9 statements" in html


def test_it_keeps_a_non_lrs_error_page_out_of_the_recorded_error(world, activity, config, fake_lrs):
    fake_lrs.always_fail_with = 403
    fake_lrs.fail_as_html = True
    push_statements(config)
    config.refresh_from_db()
    assert config.last_error == "The LRS refused the statements (HTTP 403)."


def test_it_records_wrong_credentials_as_a_refusal(world, activity, config, fake_lrs):
    LrsConfig.objects.filter(pk=config.pk).update(secret="wrong")
    push_statements(config)
    config.refresh_from_db()
    assert "HTTP 401" in config.last_error
    assert config.halted_at is not None
    assert fake_lrs.stored == {}


def test_it_moves_the_cursor_only_past_accepted_batches(world, activity, config, fake_lrs):
    # The first batch is accepted, the second refused: the cursor stays after the first.
    fake_lrs.fail_with = [200, 400]
    assert push_statements(config) == 2
    opening_posts = Post.objects.filter(is_opening=True).order_by("pk")
    assert _cursors(world)["posts"] == opening_posts[1].pk
    assert len(fake_lrs.stored) == 2
    config.refresh_from_db()
    assert config.pushed_count == 2
    assert config.halted_at is not None


def test_it_sends_the_same_ids_again_after_a_crash(world, activity, config, fake_lrs):
    push_statements(config)
    first = list(fake_lrs.received)
    # A crash after the LRS accepted, before the cursor was saved: the cursors are back at 0.
    LrsCursor.objects.filter(organization=world.organization).update(last_pk=0, last_at=None)
    push_statements(config)
    assert fake_lrs.received == first + first
    assert len(fake_lrs.stored) == 9


def test_it_pushes_nothing_when_disabled(world, activity, config, fake_lrs):
    LrsConfig.objects.filter(pk=config.pk).update(enabled=False)
    assert run_push_job(config).status == DueStatus.DONE
    assert push_statements(config) == 0
    assert fake_lrs.requests == []


def test_it_leaves_rows_that_have_not_settled_for_the_next_run(
    world, activity, config, fake_lrs, settings
):
    # The survey responses were submitted an hour ago; everything else was written just now.
    settings.XAPI_PUSH_SETTLE_SECONDS = 30 * 60
    assert push_statements(config) == 2
    verbs = {s["verb"]["display"]["en-GB"] for s in fake_lrs.stored.values()}
    assert verbs == {"completed"}
    settings.XAPI_PUSH_SETTLE_SECONDS = 0
    assert push_statements(config) == 7


def test_it_waits_for_the_edit_window_before_sending_posts(
    world, activity, config, fake_lrs, settings
):
    settings.POST_EDIT_WINDOW_MINUTES = 30
    push_statements(config)
    verbs = {s["verb"]["display"]["en-GB"] for s in fake_lrs.stored.values()}
    assert verbs == {"liked", "answered", "completed"}
    assert _cursors(world)["posts"] == 0


def test_it_pushes_through_the_due_rows_not_a_beat_entry_of_its_own(settings, world, fake_lrs):
    assert not [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].startswith("xapi.")]
    config = lrs_config_save(
        organization=world.organization,
        endpoint=fake_lrs.url,
        username="k",
        secret="s",
        enabled=False,
    )
    assert not Job.objects.filter(kind=LRS_PUSH_JOB).exists()
    # Switched on: one job, however often it is saved.
    for _ in range(2):
        lrs_config_save(
            organization=world.organization,
            endpoint=fake_lrs.url,
            username="k",
            secret="",
            enabled=True,
        )
    job = Job.objects.get(kind=LRS_PUSH_JOB)
    assert (job.target_id, job.status) == (config.pk, DueStatus.PENDING)


def test_it_pushes_a_response_submitted_after_the_cursor_passed_its_draft(
    world, activity, config, fake_lrs
):
    # A draft started first, then a response submitted by someone else: the draft's key is smaller.
    draft = Response.objects.create(round=activity.scored.round, participant=world.groupmate)
    later = Response.objects.create(
        round=activity.unscored.round,
        participant=world.other_group_participant,
        status=ResponseStatus.SUBMITTED,
        submitted_at=clock.now(),
    )
    push_statements(config)
    assert LrsCursor.objects.get(source="survey_responses").last_pk == later.pk > draft.pk
    Response.objects.filter(pk=draft.pk).update(
        status=ResponseStatus.SUBMITTED, submitted_at=clock.now()
    )
    assert push_statements(config) == 1
    assert statement_id("survey-response", draft.pk) in fake_lrs.stored
