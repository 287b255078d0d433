"""The randomisation of a lift study, as pure functions of a stored seed.

Which learning objectives are boosted for whom, and on which day after the workshop each person's
retention probe asks about each objective. Everything derives from the study's seed and a stable
key of each person (the planner gives their email address, and their study group's name as the
stratum), never from database ids, so the same people give the same design wherever the rows
live (the demo, seeded again, tells the same story) (the study stores the result
when the first spark goes out, as a pre-registration, and can be checked against it).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Hashable, Sequence

# The probe is drawn between these days after the workshop's last session, so the forgetting
# curve is sampled across the whole range rather than at one moment.
PROBE_FIRST_DAY = 30
PROBE_LAST_DAY = 90
# Fewer objectives than this cannot be split into a boosted and a held-out half.
MINIMUM_OBJECTIVES = 2


def objective_halves(
    *,
    seed: str,
    participants: Sequence[tuple[Hashable, Hashable]],
    objectives: Sequence[str],
) -> dict[Hashable, frozenset[str]]:
    """The boosted objectives of each participant; the others are held out for them.

    `participants` are (person key, stratum) pairs, the stratum being the study group (or None).
    Stratified and balanced: within each stratum people are shuffled and taken in pairs, the
    first of a pair getting a random half and the second its complement, so every objective is
    boosted for as many people as it is held out for (give or take one per stratum). That keeps
    an objective's difficulty from leaning on either side.
    """
    objectives = sorted(set(objectives))
    half = len(objectives) // 2
    strata: dict[Hashable, list[Hashable]] = defaultdict(list)
    for person, stratum in participants:
        strata[stratum].append(person)
    boosted: dict[Hashable, frozenset[str]] = {}
    for stratum in sorted(strata, key=repr):
        rng = random.Random(f"{seed}:stratum:{stratum!r}")
        people = sorted(strata[stratum], key=repr)
        rng.shuffle(people)
        for first in range(0, len(people), 2):
            chosen = frozenset(rng.sample(objectives, half))
            boosted[people[first]] = chosen
            if first + 1 < len(people):
                boosted[people[first + 1]] = frozenset(objectives) - chosen
    return boosted


def late_objective_half(
    *, seed: str, person: Hashable, objectives: Sequence[str]
) -> frozenset[str]:
    """The boosted half of someone who joined after the design was fixed: random for them alone
    (the design stays fixed for everyone else), still reproducible from the seed."""
    objectives = sorted(set(objectives))
    rng = random.Random(f"{seed}:late:{person}")
    return frozenset(rng.sample(objectives, len(objectives) // 2))


def probe_days(*, seed: str, person: Hashable, objectives: Sequence[str]) -> dict[str, int]:
    """The day after the workshop on which the probe asks this person about each objective.

    The probe starts on a day drawn uniformly between PROBE_FIRST_DAY and PROBE_LAST_DAY (less one
    day per further objective) and asks one objective a day, in an order shuffled for the person:
    one question a day, and no objective always asked first.
    """
    objectives = sorted(set(objectives))
    rng = random.Random(f"{seed}:probe:{person}")
    last_start = max(PROBE_FIRST_DAY, PROBE_LAST_DAY - (len(objectives) - 1))
    start = rng.randint(PROBE_FIRST_DAY, last_start)
    rng.shuffle(objectives)
    return {objective: start + n for n, objective in enumerate(objectives)}
