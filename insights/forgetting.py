"""Forgetting curves fitted to retention points, in pure Python.

The exponential model: score(t) = floor + (s0 - floor) · exp(-ln2 · t / h), with t in days since
the workshop, s0 the score right after it, `floor` what stays for good and h the half-life of
what fades. The power-law model: score(t) = floor + (s0 - floor) · (1 + t)^(-b), which fades fast
at first and then ever more slowly (Wixted and Ebbesen found it often fits memory better). For a
fixed h (or b) either model is linear in floor and s0, so each has a closed-form least-squares
answer; a log-spaced grid over h (or b), then a golden-section refinement, finds the smallest
error. `forgetting_curves` fits both and chooses by AICc (both have three parameters, so the
criterion compares their errors on the same points).
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


def _exponential_decay(points: Sequence[tuple[float, float, float]], half_life: float) -> list:
    return [math.exp(-math.log(2) * t / half_life) for t, _, _ in points]


def _power_decay(points: Sequence[tuple[float, float, float]], exponent: float) -> list:
    return [(1 + t) ** -exponent for t, _, _ in points]


def _solve(
    points: Sequence[tuple[float, float, float]], half_life: float, decay_of=_exponential_decay
) -> tuple[float, float, float]:
    """Weighted least-squares floor and s0 for one half-life (or exponent), floor kept within
    0..s0; the error."""
    decay = decay_of(points, half_life)
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


def _follow_up_points(points: Sequence[tuple]) -> list[tuple[float, float, float]]:
    return [
        (float(p[0]), float(p[1]), float(p[2]) if len(p) > 2 else 1.0) for p in points if p[0] >= 0
    ]


def _too_few_moments(points: Sequence[tuple[float, float, float]]) -> NoFit | None:
    moments = {t for t, _, _ in points}
    if len(moments) >= MINIMUM_POINTS:
        return None
    return NoFit(
        f"Not enough follow-up measurements to fit a forgetting curve: {len(moments)} "
        f"moment{'' if len(moments) == 1 else 's'} after the workshop, "
        f"{MINIMUM_POINTS} needed."
    )


def _best_parameter(points, decay_of, lowest: float, highest: float) -> float:
    """The rate parameter with the smallest error: a log grid, then golden-section search."""
    low, high = math.log(lowest), math.log(highest)
    grid = [low + (high - low) * i / GRID_STEPS for i in range(GRID_STEPS + 1)]
    errors = [_solve(points, math.exp(g), decay_of)[2] for g in grid]
    best = min(range(len(grid)), key=errors.__getitem__)
    left, right = grid[max(best - 1, 0)], grid[min(best + 1, GRID_STEPS)]
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(REFINE_STEPS):
        c = right - ratio * (right - left)
        d = left + ratio * (right - left)
        if _solve(points, math.exp(c), decay_of)[2] <= _solve(points, math.exp(d), decay_of)[2]:
            right = d
        else:
            left = c
    return math.exp((left + right) / 2)


def forgetting_fit(points: Sequence[tuple]) -> ForgettingFit | NoFit:
    """Fit the exponential curve to (days since the workshop, score) or (days, score, weight)
    points at or after the workshop; a weight (e.g. the answers behind a score) counts its point
    that often."""
    points = _follow_up_points(points)
    if refused := _too_few_moments(points):
        return refused
    half_life = _best_parameter(points, _exponential_decay, HALF_LIFE_MIN_DAYS, HALF_LIFE_MAX_DAYS)
    floor, s0, rss = _solve(points, half_life)
    if s0 - floor < 1e-6 or half_life >= HALF_LIFE_MAX_DAYS * 0.99:
        return NoFit("The scores do not fall over time, so there is no forgetting curve to fit.")
    if half_life <= HALF_LIFE_MIN_DAYS * 1.01:
        return NoFit(
            "The scores drop at once and then do not follow a forgetting curve, so none is shown."
        )
    return ForgettingFit(floor=floor, s0=s0, half_life_days=half_life, rss=rss, points=len(points))


# The power law's exponent b: below the smallest, nothing fades within a year; above the largest,
# everything fades within the first day.
EXPONENT_MIN = 0.01
EXPONENT_MAX = 5.0
PARAMETERS = 3
# AICc needs more points than parameters + 1; below this the two curves are not compared.
COMPARE_MINIMUM_POINTS = PARAMETERS + 2
# An AICc difference under 2 is no real support for either model (Burnham and Anderson).
AICC_DECISIVE = 2.0


@dataclass(frozen=True)
class PowerLawFit:
    floor: float
    s0: float
    exponent: float
    rss: float
    points: int

    def score_at(self, days: float) -> float:
        return self.floor + (self.s0 - self.floor) * (1 + days) ** -self.exponent


def power_law_fit(points: Sequence[tuple]) -> PowerLawFit | NoFit:
    """Fit score(t) = floor + (s0 - floor) · (1 + t)^(-b) to the same points as `forgetting_fit`."""
    points = _follow_up_points(points)
    if refused := _too_few_moments(points):
        return refused
    exponent = _best_parameter(points, _power_decay, EXPONENT_MIN, EXPONENT_MAX)
    floor, s0, rss = _solve(points, exponent, _power_decay)
    if s0 - floor < 1e-6 or exponent <= EXPONENT_MIN * 1.01:
        return NoFit("The scores do not fall over time, so there is no forgetting curve to fit.")
    if exponent >= EXPONENT_MAX * 0.99:
        return NoFit(
            "The scores drop at once and then do not follow a forgetting curve, so none is shown."
        )
    return PowerLawFit(floor=floor, s0=s0, exponent=exponent, rss=rss, points=len(points))


def aicc(rss: float, points: int, parameters: int = PARAMETERS) -> float:
    """Akaike's criterion corrected for small samples, for a least-squares fit (Gaussian errors):
    n·ln(RSS/n) + 2k + 2k(k+1)/(n-k-1). Lower is better."""
    if points - parameters - 1 <= 0:
        raise ValueError("AICc needs more points than parameters plus one.")
    # A perfect fit has no error to take the logarithm of: a tiny one keeps the comparison finite.
    rss = max(rss, 1e-9)
    correction = 2 * parameters * (parameters + 1) / (points - parameters - 1)
    return points * math.log(rss / points) + 2 * parameters + correction


@dataclass(frozen=True)
class CurveChoice:
    """Both curves and which one the data support, said in a sentence."""

    exponential: ForgettingFit | NoFit
    power_law: PowerLawFit | NoFit
    # "exponential", "power law", or "" when neither is preferred or they cannot be compared.
    better: str
    # AICc of the exponential minus that of the power law (positive: the power law fits better).
    aicc_difference: float | None
    summary: str

    @property
    def chosen(self) -> ForgettingFit | PowerLawFit | NoFit:
        """The curve to draw: the better one, the exponential when they are level (its
        half-life is the easier thing to say), or whichever could be fitted."""
        if self.better == "power law" or isinstance(self.exponential, NoFit):
            return self.power_law
        return self.exponential


def forgetting_curves(points: Sequence[tuple]) -> CurveChoice:
    """Fit the exponential and the power-law curves and choose between them by AICc."""
    exponential, power = forgetting_fit(points), power_law_fit(points)
    fits = [f for f in (exponential, power) if not isinstance(f, NoFit)]
    if len(fits) < 2:
        better = "" if not fits else ("exponential" if fits[0] is exponential else "power law")
        return CurveChoice(exponential, power, better, None, "")
    n = exponential.points
    if n < COMPARE_MINIMUM_POINTS:
        return CurveChoice(
            exponential,
            power,
            "",
            None,
            f"Too few measurements to tell an exponential from a power-law curve "
            f"({COMPARE_MINIMUM_POINTS} needed).",
        )
    difference = aicc(exponential.rss, n) - aicc(power.rss, n)
    if difference > AICC_DECISIVE:
        return CurveChoice(
            exponential,
            power,
            "power law",
            difference,
            f"A power-law curve fits better than an exponential one (AICc lower by "
            f"{difference:.1f}): forgetting is fast at first, then ever slower, so no single "
            f"half-life describes it.",
        )
    if difference < -AICC_DECISIVE:
        return CurveChoice(
            exponential,
            power,
            "exponential",
            difference,
            f"An exponential curve fits better than a power law (AICc lower by {-difference:.1f}).",
        )
    return CurveChoice(
        exponential,
        power,
        "",
        difference,
        "Exponential and power-law curves fit about equally well (AICc within "
        f"{AICC_DECISIVE:.0f}).",
    )
