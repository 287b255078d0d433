"""Moments on a cohort's timeline: "3 days after the last session at 09:00", in its time zone.

Prompts, survey rounds and sparks are all scheduled this way; each stores its anchor and offset and
keeps the computed `due_at` (aware, UTC in the database) current when the sessions move.

A change of the cohort's time zone keeps every moment's wall-clock time: a moment chosen as a local
date and time (a prompt or a round "at a date and time") stays at that date and time on the new
clock (`wall_clock_kept`), moments counted from the sessions are placed again from the sessions in
the new zone, and sparks are planned again into the send window on the new clock. People read a
cohort's times on its clock; the zone changes because that clock was wrong.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import models

from cohorts.models import Cohort

# The calendar a cohort's timeline lives in. Sessions, prompts and rounds outside it are refused
# with a message: offsets of up to two years counted from the year 9999 left the calendar
# Python can represent (an OverflowError, a 500), and no workshop is planned a century ahead.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)


def validate_timeline_day(value: date | datetime) -> None:
    """A form field's validator: the date (of a datetime, too) lies between the two bounds."""
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValidationError(
            f"Choose a date between {EARLIEST_DAY.year} and {LATEST_DAY.year}.",
            code="out_of_range",
        )


class Anchor(models.TextChoices):
    """Where a scheduled moment sits: prompts take all four, rounds the three of ROUND_ANCHORS,
    sparks AFTER_LAST."""

    NOW = "now", "Publish now"
    AT = "at", "At a date and time"
    BEFORE_FIRST = "before_first", "Days before the first session"
    AFTER_LAST = "after_last", "Days after the last session"


OFFSET_ANCHORS = (Anchor.BEFORE_FIRST, Anchor.AFTER_LAST)
# A round is always placed ahead, never "now" (in the order its field's choices have always had).
ROUND_ANCHORS = [(a.value, a.label) for a in (Anchor.BEFORE_FIRST, Anchor.AFTER_LAST, Anchor.AT)]


def local_moment(cohort: Cohort, day: date, at: time) -> datetime:
    """`day` at `at` on the cohort's wall clock, as an aware datetime.

    A wall-clock time that does not exist (skipped by a daylight-saving change) moves forward by
    the gap, as a clock on the wall would; an ambiguous one takes its first occurrence.
    """
    naive = datetime.combine(day, at)
    moment = naive.replace(tzinfo=cohort.tz, fold=0)
    # A skipped time does not survive the round trip through UTC; the trip lands after the gap.
    return moment.astimezone(UTC).astimezone(cohort.tz)


def anchored_moment(
    cohort: Cohort, *, anchor: str, offset_days: int = 0, at: time = time(9, 0)
) -> datetime | None:
    """The moment `offset_days` before the first / after the last session, at local time `at`.

    None when the cohort has no sessions yet: an anchored moment cannot be placed.
    """
    if anchor == Anchor.BEFORE_FIRST:
        start = cohort.first_start
        if start is None:
            return None
        day = start.astimezone(cohort.tz).date() - timedelta(days=offset_days)
    elif anchor == Anchor.AFTER_LAST:
        end = cohort.last_end
        if end is None:
            return None
        day = end.astimezone(cohort.tz).date() + timedelta(days=offset_days)
    else:
        raise ValueError(f"{anchor!r} is not an offset anchor.")
    return local_moment(cohort, day, at)


def wall_clock_kept(moment: datetime, previous_time_zone: str, cohort: Cohort) -> datetime:
    """`moment`'s local date and time on the cohort's old clock, on its new one: what a change of
    the cohort's time zone does to a moment chosen as a local date and time."""
    local = moment.astimezone(ZoneInfo(previous_time_zone))
    return local_moment(cohort, local.date(), local.time())
