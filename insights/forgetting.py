"""A forgetting curve fitted to retention points, in pure Python.

The model: score(t) = floor + (s0 - floor) · exp(-ln2 · t / h), with t in days since the workshop,
s0 the score right after it, `floor` what stays for good and h the half-life of what fades. For a
fixed h the model is linear in floor and s0, so each h has a closed-form least-squares answer; a
log-spaced grid over h, then a golden-section refinement, finds the h with the smallest error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Three parameters need at least three distinct moments; fewer fit any curve perfectly.
MINIMUM_POINTS = 3
HALF_LIFE_MIN_DAYS = 0.5
# A half-life longer than this is no measurable forgetting within a follow-up period.
HALF_LIFE_MAX_DAYS = 365.0
GRID_STEPS = 80
REFINE_STEPS = 60


@dataclass(frozen=True)
class ForgettingFit:
    floor: float
    s0: float
    half_life_days: float
    rss: float
    points: int

    def score_at(self, days: float) -> float:
        return self.floor + (self.s0 - self.floor) * math.exp(
            -math.log(2) * days / self.half_life_days
        )


@dataclass(frozen=True)
class NoFit:
    """Why no curve is shown, in words for the chart's summary."""

    reason: str


def _solve(
    points: Sequence[tuple[float, float, float]], half_life: float
) -> tuple[float, float, float]:
    """Weighted least-squares floor and s0 for one half-life, floor kept within 0..s0; the error."""
    decay = [math.exp(-math.log(2) * t / half_life) for t, _, _ in points]
    # score = floor · (1 - e) + s0 · e: a linear regression on two columns without intercept.
    a = [1 - e for e in decay]
    b = decay
    ys = [y for _, y, _ in points]
    ws = [w for _, _, w in points]
    saa = sum(w * x * x for w, x in zip(ws, a, strict=True))
    sbb = sum(w * x * x for w, x in zip(ws, b, strict=True))
    sab = sum(w * x * y for w, x, y in zip(ws, a, b, strict=True))
    say = sum(w * x * y for w, x, y in zip(ws, a, ys, strict=True))
    sby = sum(w * x * y for w, x, y in zip(ws, b, ys, strict=True))
    det = saa * sbb - sab * sab
    if abs(det) > 1e-12:
        floor = (say * sbb - sby * sab) / det
        s0 = (saa * sby - sab * say) / det
    else:
        floor, s0 = 0.0, sby / sbb if sbb else 0.0
    if floor < 0:
        floor = 0.0
        s0 = sby / sbb if sbb else 0.0
    if floor > s0:
        # Rising scores are not forgetting: a flat line at the mean is the honest model.
        floor = s0 = sum(w * y for w, y in zip(ws, ys, strict=True)) / sum(ws)
    rss = sum(w * (floor * x + s0 * e - y) ** 2 for w, x, e, y in zip(ws, a, b, ys, strict=True))
    return floor, s0, rss


def forgetting_fit(points: Sequence[tuple]) -> ForgettingFit | NoFit:
    """Fit the curve to (days since the workshop, score) or (days, score, weight) points at or
    after the workshop; a weight (e.g. the answers behind a score) counts its point that often."""
    points = [
        (float(p[0]), float(p[1]), float(p[2]) if len(p) > 2 else 1.0) for p in points if p[0] >= 0
    ]
    moments = {t for t, _, _ in points}
    if len(moments) < MINIMUM_POINTS:
        return NoFit(
            f"Not enough follow-up measurements to fit a forgetting curve: {len(moments)} "
            f"moment{'' if len(moments) == 1 else 's'} after the workshop, "
            f"{MINIMUM_POINTS} needed."
        )
    low, high = math.log(HALF_LIFE_MIN_DAYS), math.log(HALF_LIFE_MAX_DAYS)
    grid = [low + (high - low) * i / GRID_STEPS for i in range(GRID_STEPS + 1)]
    errors = [_solve(points, math.exp(g))[2] for g in grid]
    best = min(range(len(grid)), key=errors.__getitem__)
    left, right = grid[max(best - 1, 0)], grid[min(best + 1, GRID_STEPS)]
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(REFINE_STEPS):
        c = right - ratio * (right - left)
        d = left + ratio * (right - left)
        if _solve(points, math.exp(c))[2] <= _solve(points, math.exp(d))[2]:
            right = d
        else:
            left = c
    half_life = math.exp((left + right) / 2)
    floor, s0, rss = _solve(points, half_life)
    if s0 - floor < 1e-6 or half_life >= HALF_LIFE_MAX_DAYS * 0.99:
        return NoFit("The scores do not fall over time, so there is no forgetting curve to fit.")
    if half_life <= HALF_LIFE_MIN_DAYS * 1.01:
        return NoFit(
            "The scores drop at once and then do not follow a forgetting curve, so none is shown."
        )
    return ForgettingFit(floor=floor, s0=s0, half_life_days=half_life, rss=rss, points=len(points))
