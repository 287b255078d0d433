import base64

import pytest

from discussions import services as discussions
from discussions.models import Post
from socialtraining import clock
from surveys.models import Response, ResponseStatus
from xapi.lrs import LrsUnavailable
from xapi.models import LrsConfig, LrsCursor
from xapi.statements import statement_id, statements_iter
from xapi.tasks import push_all_lrs, push_lrs_statements


@pytest.fixture(autouse=True)
def _push_settings(settings):
    # Small batches so a push takes several; no settling wait, the rows are written before.
    settings.XAPI_PUSH_BATCH_SIZE = 2
    settings.XAPI_PUSH_SETTLE_SECONDS = 0
    settings.POST_EDIT_WINDOW_MINUTES = 0


@pytest.fixture
def retries_run_eagerly():
    """Let Celery run the task's retries in place, as a worker would after each countdown.

    With eager propagation on, Celery raises the first Retry instead of running it.
    """
    from socialtraining.celery import app

    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


@pytest.fixture
def config(world, fake_lrs):
    return LrsConfig.objects.create(
        organization=world.organization,
        endpoint=fake_lrs.url,
        username=fake_lrs.username,
        secret=fake_lrs.secret,
    )


def _expected_ids(world) -> set[str]:
    return {s["id"] for s in statements_iter(organization_id=world.organization.pk)}


def _cursors(world) -> dict[str, int]:
    return dict(
        LrsCursor.objects.filter(organization=world.organization).values_list("source", "last_pk")
    )


def test_it_pushes_each_statement_once(world, activity, config, fake_lrs):
    assert push_all_lrs.delay().get() == 1
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
    assert (config.pushed_count, config.last_error, config.claimed_until) == (9, "", None)

    # The next run finds nothing new and sends nothing.
    sent = len(fake_lrs.requests)
    push_all_lrs.delay()
    assert len(fake_lrs.requests) == sent


def test_it_pushes_only_what_is_new_since_the_cursor(world, activity, config, fake_lrs):
    push_lrs_statements.delay(config.pk)
    late = discussions.post_reply(
        thread=activity.question, author=world.groupmate, body="Late", idempotency_key="late"
    )
    fake_lrs.requests.clear()
    push_lrs_statements.delay(config.pk)
    assert [s["result"]["response"] for r in fake_lrs.requests for s in r["body"]] == ["Late"]
    assert _cursors(world)["posts"] == late.pk


def test_it_retries_after_a_503_then_succeeds(
    world, activity, config, fake_lrs, retries_run_eagerly
):
    fake_lrs.fail_with = [503]
    assert push_lrs_statements.delay(config.pk).get() == 9
    assert set(fake_lrs.stored) == _expected_ids(world)
    # The refused batch went again; the LRS stored each statement once.
    assert len(fake_lrs.received) == 9
    config.refresh_from_db()
    assert (config.last_error, config.halted_at) == ("", None)


def test_it_gives_up_after_its_retries_and_keeps_the_cursor(
    world, activity, config, fake_lrs, retries_run_eagerly
):
    fake_lrs.always_fail_with = 503
    with pytest.raises(LrsUnavailable):
        push_lrs_statements.delay(config.pk).get()
    # The first try and five retries, then the task stops; the next beat run tries again.
    assert len(fake_lrs.requests) == 6
    assert set(_cursors(world).values()) == {0}
    config.refresh_from_db()
    assert "HTTP 503" in config.last_error
    assert config.halted_at is None
    assert config.claimed_until is None


def test_it_records_a_refusal_and_stops(world, activity, config, fake_lrs, client_for):
    fake_lrs.always_fail_with = 400
    assert push_lrs_statements.delay(config.pk).get() == 0
    assert len(fake_lrs.requests) == 1
    assert set(_cursors(world).values()) == {0}
    config.refresh_from_db()
    assert config.halted_at is not None
    assert "HTTP 400" in config.last_error

    # Not retried forever: beat leaves a stopped LRS alone until a manager saves its settings.
    assert push_all_lrs.delay().get() == 0
    push_lrs_statements.delay(config.pk)
    assert len(fake_lrs.requests) == 1
    html = client_for(world.manager).get(f"/org/{world.organization.slug}/xapi/").content.decode()
    assert "told to fail with 400" in html
    assert "9 statements" in html


def test_it_keeps_a_non_lrs_error_page_out_of_the_recorded_error(world, activity, config, fake_lrs):
    fake_lrs.always_fail_with = 403
    fake_lrs.fail_as_html = True
    push_lrs_statements.delay(config.pk).get()
    config.refresh_from_db()
    assert config.last_error == "The LRS refused the statements (HTTP 403)."


def test_it_records_wrong_credentials_as_a_refusal(world, activity, config, fake_lrs):
    LrsConfig.objects.filter(pk=config.pk).update(secret="wrong")
    push_lrs_statements.delay(config.pk)
    config.refresh_from_db()
    assert "HTTP 401" in config.last_error
    assert config.halted_at is not None
    assert fake_lrs.stored == {}


def test_it_moves_the_cursor_only_past_accepted_batches(world, activity, config, fake_lrs):
    # The first batch is accepted, the second refused: the cursor stays after the first.
    fake_lrs.fail_with = [200, 400]
    assert push_lrs_statements.delay(config.pk).get() == 2
    opening_posts = Post.objects.filter(is_opening=True).order_by("pk")
    assert _cursors(world)["posts"] == opening_posts[1].pk
    assert len(fake_lrs.stored) == 2
    config.refresh_from_db()
    assert config.pushed_count == 2
    assert config.halted_at is not None


def test_it_sends_the_same_ids_again_after_a_crash(world, activity, config, fake_lrs):
    push_lrs_statements.delay(config.pk)
    first = list(fake_lrs.received)
    # A crash after the LRS accepted, before the cursor was saved: the cursors are back at 0.
    LrsCursor.objects.filter(organization=world.organization).update(last_pk=0, last_at=None)
    push_lrs_statements.delay(config.pk)
    assert fake_lrs.received == first + first
    assert len(fake_lrs.stored) == 9


def test_it_pushes_nothing_when_disabled(world, activity, config, fake_lrs):
    LrsConfig.objects.filter(pk=config.pk).update(enabled=False)
    assert push_all_lrs.delay().get() == 0
    assert push_lrs_statements.delay(config.pk).get() == 0
    assert fake_lrs.requests == []


def test_it_leaves_rows_that_have_not_settled_for_the_next_run(
    world, activity, config, fake_lrs, settings
):
    # The survey responses were submitted an hour ago; everything else was written just now.
    settings.XAPI_PUSH_SETTLE_SECONDS = 30 * 60
    assert push_lrs_statements.delay(config.pk).get() == 2
    verbs = {s["verb"]["display"]["en-GB"] for s in fake_lrs.stored.values()}
    assert verbs == {"completed"}
    settings.XAPI_PUSH_SETTLE_SECONDS = 0
    assert push_lrs_statements.delay(config.pk).get() == 7


def test_it_waits_for_the_edit_window_before_sending_posts(
    world, activity, config, fake_lrs, settings
):
    settings.POST_EDIT_WINDOW_MINUTES = 30
    push_lrs_statements.delay(config.pk)
    verbs = {s["verb"]["display"]["en-GB"] for s in fake_lrs.stored.values()}
    assert verbs == {"liked", "answered", "completed"}
    assert _cursors(world)["posts"] == 0


def test_it_is_on_the_beat_schedule(settings):
    from socialtraining.celery import app

    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].startswith("xapi.")]
    assert [e["task"] for e in entries] == ["xapi.tasks.push_all_lrs"]
    assert "xapi.tasks.push_all_lrs" in app.tasks


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
    push_lrs_statements.delay(config.pk)
    assert LrsCursor.objects.get(source="survey_responses").last_pk == later.pk > draft.pk
    Response.objects.filter(pk=draft.pk).update(
        status=ResponseStatus.SUBMITTED, submitted_at=clock.now()
    )
    assert push_lrs_statements.delay(config.pk).get() == 1
    assert statement_id("survey-response", draft.pk) in fake_lrs.stored
