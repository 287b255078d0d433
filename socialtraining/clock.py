"""The project's one clock: every model default, service, task, view and template reads time here.

In production `now()` is the real time in UTC. Three ways move it, none of them a mock:

- `travel_to(moment)` and `frozen_at(moment)` are context managers for tests and for the demo's
  replay of history. They hold for the whole process, threads included, so a live server thread
  serving a browser test reads the same time as the test.
- `CLOCK_FILE` (a setting, unset in production) names a file holding an ISO 8601 moment: separate
  worker and beat processes of an end-to-end test stand at that moment, and the test moves them
  by rewriting the file.
- `CLOCK_START` (an environment variable, or pytest's `--clock-start`) starts every test's clock
  at the given moment, ticking from there, so the suite can be run as if on any day.

Nothing else in the project calls `timezone.now()` or `datetime.now()` (ruff's banned-api rule).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings


@dataclass(frozen=True)
class _Override:
    # A frozen clock stands at `moment`; a travelling one ticks on from it.
    moment: datetime
    frozen: bool
    started: datetime

    def now(self) -> datetime:
        if self.frozen:
            return self.moment
        return self.moment + (_wall() - self.started)


_lock = threading.Lock()
_overrides: list[_Override] = []


def _wall() -> datetime:
    # The only reading of the wall clock in the project.
    return datetime.now(UTC)  # noqa: TID251


def now() -> datetime:
    """The current moment, aware, in UTC."""
    if _overrides:
        return _overrides[-1].now()
    path = getattr(settings, "CLOCK_FILE", "")
    if path:
        moment = _read_clock_file(path)
        if moment is not None:
            return moment
    return _wall()


def _read_clock_file(path: str) -> datetime | None:
    try:
        text = Path(path).read_text().strip()
    except FileNotFoundError:
        return None
    return aware(datetime.fromisoformat(text)) if text else None


def aware(moment: datetime) -> datetime:
    """`moment` with UTC assumed when it carries no time zone."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@contextmanager
def _override(moment: datetime, *, frozen: bool) -> Iterator[None]:
    entry = _Override(aware(moment), frozen, _wall())
    with _lock:
        _overrides.append(entry)
    try:
        yield
    finally:
        with _lock:
            _overrides.remove(entry)


def travel_to(moment: datetime) -> contextmanager:
    """Within the block the clock reads `moment` and ticks on from it."""
    return _override(moment, frozen=False)


def frozen_at(moment: datetime) -> contextmanager:
    """Within the block the clock reads `moment` and stands still."""
    return _override(moment, frozen=True)


def parse_moment(text: str) -> datetime:
    """An ISO 8601 moment with its UTC offset, e.g. `2026-10-30T23:30:00-10:00`."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} needs a UTC offset, e.g. 2026-10-30T23:30:00-10:00")
    return moment.astimezone(UTC)


def ago(moment: datetime) -> timedelta:
    """How long ago `moment` was (negative for the future)."""
    return now() - moment
