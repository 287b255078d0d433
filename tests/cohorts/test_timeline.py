from datetime import UTC, datetime, time

import pytest

from cohorts.timeline import Anchor, anchored_moment, local_moment
from tests.factories import CohortFactory, WorkshopSessionFactory


@pytest.fixture
def berlin(db):
    cohort = CohortFactory(time_zone="Europe/Berlin")
    # Workshop on Thursday 26 and Friday 27 March 2027; summer time starts on Sunday 28 March.
    WorkshopSessionFactory(
        cohort=cohort,
        starts_at=datetime(2027, 3, 26, 8, 0, tzinfo=UTC),
        ends_at=datetime(2027, 3, 26, 15, 0, tzinfo=UTC),
    )
    WorkshopSessionFactory(
        cohort=cohort,
        starts_at=datetime(2027, 3, 27, 8, 0, tzinfo=UTC),
        ends_at=datetime(2027, 3, 27, 15, 0, tzinfo=UTC),
    )
    return cohort


def test_it_places_days_before_the_first_session_on_the_local_clock(berlin):
    moment = anchored_moment(berlin, anchor=Anchor.BEFORE_FIRST, offset_days=7, at=time(9, 0))
    # 19 March is winter time in Berlin: 09:00 local is 08:00 UTC.
    assert moment.astimezone(UTC) == datetime(2027, 3, 19, 8, 0, tzinfo=UTC)


def test_it_keeps_the_local_hour_across_the_change_to_summer_time(berlin):
    moment = anchored_moment(berlin, anchor=Anchor.AFTER_LAST, offset_days=3, at=time(9, 0))
    # 30 March is summer time: 09:00 local is 07:00 UTC, not 08:00.
    assert moment.astimezone(UTC) == datetime(2027, 3, 30, 7, 0, tzinfo=UTC)


def test_it_moves_a_time_skipped_by_the_clock_change_past_the_gap(berlin):
    moment = local_moment(berlin, datetime(2027, 3, 28).date(), time(2, 30))
    assert moment.astimezone(UTC) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert (moment.hour, moment.minute) == (3, 30)


def test_it_cannot_place_an_anchored_moment_without_sessions(db):
    cohort = CohortFactory(time_zone="Europe/Berlin")
    assert anchored_moment(cohort, anchor=Anchor.AFTER_LAST, offset_days=3) is None


def test_it_refuses_an_anchor_that_is_not_an_offset(berlin):
    with pytest.raises(ValueError):
        anchored_moment(berlin, anchor=Anchor.AT)
