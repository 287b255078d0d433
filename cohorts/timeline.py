"""Moments on a cohort's timeline: "3 days after the last session at 09:00", in its time zone.

Prompts, survey rounds and sparks are all scheduled this way; each stores its anchor and offset and
keeps the computed `due_at` (aware, UTC in the database) current when the sessions move.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.db import models

from cohorts.models import Cohort


class Anchor(models.TextChoices):
    BEFORE_FIRST = "before_first", "Days before the first session"
    AFTER_LAST = "after_last", "Days after the last session"
    AT = "at", "At a date and time"


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
