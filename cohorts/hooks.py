"""Callbacks run when a cohort's schedule changes, for apps below cohorts that depend on it.

Apps below cohorts (discussions, later surveys and sparks) keep rows whose `due_at` derives from the
workshop sessions ("2 days before the first session"). cohorts must not import them, and we use no
signals for business logic, so they register a callback here in their AppConfig.ready and the
cohort services call `schedule_changed` explicitly, inside the transaction that saved the sessions:
the recomputed due times commit, or roll back, with the sessions they derive from.
"""

from __future__ import annotations

from typing import Protocol

from cohorts.models import Cohort


class CoachesChanged(Protocol):
    def __call__(self, *, cohort: Cohort, coach_ids: set[int]) -> None: ...


class ScheduleChanged(Protocol):
    def __call__(self, *, cohort: Cohort, previous_time_zone: str) -> None: ...


_schedule_changed: list[ScheduleChanged] = []
_coaches_changed: list[CoachesChanged] = []


def on_schedule_changed(callback: ScheduleChanged) -> ScheduleChanged:
    """Register `callback`, once, to run after a cohort's sessions or time zone were saved."""
    if callback not in _schedule_changed:
        _schedule_changed.append(callback)
    return callback


def schedule_changed(*, cohort: Cohort, previous_time_zone: str) -> None:
    for callback in _schedule_changed:
        callback(cohort=cohort, previous_time_zone=previous_time_zone)


def on_coaches_changed(callback: CoachesChanged) -> CoachesChanged:
    """Register `callback`, once, to run after people of a cohort were given a coach (the roster
    import, which cohorts owns, sets coaches too; the coaching app plans their prompts)."""
    if callback not in _coaches_changed:
        _coaches_changed.append(callback)
    return callback


def coaches_changed(*, cohort: Cohort, coach_ids: set[int]) -> None:
    for callback in _coaches_changed:
        callback(cohort=cohort, coach_ids=coach_ids)
