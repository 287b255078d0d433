"""A prompt's due time from its anchor, in the cohort's zone, across daylight-saving changes."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from cohorts.timeline import Anchor
from discussions.models import Prompt, ScheduleError
from tests.factories import CohortFactory, WorkshopSessionFactory

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)


@pytest.fixture
def cohort(db):
    cohort = CohortFactory(time_zone="Europe/Berlin")
    # Summer time starts on Sunday 28 March 2027 and ends on Sunday 31 October 2027.
    WorkshopSessionFactory(
        cohort=cohort, starts_at=berlin(2027, 3, 30, 10, 0), ends_at=berlin(2027, 3, 30, 17, 0)
    )
    WorkshopSessionFactory(
        cohort=cohort, starts_at=berlin(2027, 10, 30, 10, 0), ends_at=berlin(2027, 10, 30, 16, 0)
    )
    return cohort


def due(cohort, anchor, days=0, at_time=time(9, 0), at=None) -> datetime:
    prompt = Prompt(cohort=cohort, anchor=anchor, offset_days=days, release_time=at_time)
    return prompt.compute_due_at(at=at)


def test_it_counts_days_before_the_first_session_on_the_local_clock_across_spring_forward(cohort):
    # 09:00 on Sunday 28 March is already summer time (UTC+2); the Saturday before is UTC+1.
    assert due(cohort, Anchor.BEFORE_FIRST, 2) == datetime(2027, 3, 28, 7, 0, tzinfo=UTC)
    assert due(cohort, Anchor.BEFORE_FIRST, 3) == datetime(2027, 3, 27, 8, 0, tzinfo=UTC)


def test_it_counts_days_after_the_last_session_across_fall_back(cohort):
    assert due(cohort, Anchor.AFTER_LAST, 0, time(18, 30)) == datetime(
        2027, 10, 30, 16, 30, tzinfo=UTC
    )
    assert due(cohort, Anchor.AFTER_LAST, 1) == datetime(2027, 10, 31, 8, 0, tzinfo=UTC)


def test_it_takes_a_chosen_moment_as_it_is(cohort):
    at = datetime(2027, 7, 1, 9, 0, tzinfo=BERLIN)
    assert due(cohort, Anchor.AT, at=at) == datetime(2027, 7, 1, 7, 0, tzinfo=UTC)


def test_it_reads_a_release_time_skipped_by_the_clock_change_as_the_hour_after(cohort):
    # 02:30 does not exist in Berlin on 28 March 2027: it resolves to 03:30 summer time.
    assert due(cohort, Anchor.BEFORE_FIRST, 2, time(2, 30)) == datetime(
        2027, 3, 28, 1, 30, tzinfo=UTC
    )


def test_it_refuses_an_offset_on_a_cohort_without_sessions(db):
    with pytest.raises(ScheduleError, match="no workshop sessions yet") as error:
        due(CohortFactory(), Anchor.BEFORE_FIRST, 2)
    assert error.value.field == "anchor"


def test_it_refuses_the_at_anchor_without_a_moment(cohort):
    with pytest.raises(ScheduleError, match="Choose the date and time"):
        due(cohort, Anchor.AT)
