"""What the home page and a cohort's overview gather from every app, each through that app's own
selector: the portal sits above them all, so a page is assembled in its own request."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import User
from cohorts.models import Cohort
from discussions.follows import WAITING_SHOWN as THREADS_SHOWN
from discussions.follows import threads_waiting_for
from discussions.models import Thread
from socialtraining import clock
from sparks.models import Delivery
from sparks.participants import sparks_waiting
from surveys.access import WAITING_SHOWN as ROUNDS_SHOWN
from surveys.access import rounds_waiting_for
from surveys.models import Round


@dataclass(frozen=True)
class Waiting:
    """What waits for a participant: sparks to answer, surveys to fill in, threads with news."""

    asks: list[Delivery]
    rounds: list[Round]
    threads: list[Thread]

    def __bool__(self) -> bool:
        return bool(self.asks or self.rounds or self.threads)


def waiting_for(user: User, *, cohort: Cohort | None = None) -> Waiting:
    """What waits for `user` as a participant, in `cohort` or in all their cohorts (3 queries)."""
    rounds = rounds_waiting_for(user, clock.now())
    threads = threads_waiting_for(user)
    if cohort is not None:
        rounds, threads = rounds.filter(cohort=cohort), threads.filter(cohort=cohort)
    return Waiting(
        asks=sparks_waiting(user=user, cohort=cohort),
        rounds=list(rounds[:ROUNDS_SHOWN]),
        threads=list(threads[:THREADS_SHOWN]),
    )
