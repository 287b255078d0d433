import math

import pytest

from insights.forgetting import (
    ForgettingFit,
    NoFit,
    PowerLawFit,
    aicc,
    forgetting_curves,
    forgetting_fit,
    power_law_fit,
)


def curve(floor: float, s0: float, half_life: float, days: list[float]) -> list[tuple]:
    return [(t, floor + (s0 - floor) * math.exp(-math.log(2) * t / half_life)) for t in days]


@pytest.mark.parametrize(
    ("floor", "s0", "half_life"), [(40, 90, 20), (65, 92, 9), (10, 80, 45), (0, 100, 7)]
)
def test_it_recovers_a_known_curve(floor, s0, half_life):
    fit = forgetting_fit(curve(floor, s0, half_life, [0, 7, 14, 21, 28, 42, 56, 84]))
    assert isinstance(fit, ForgettingFit)
    assert fit.half_life_days == pytest.approx(half_life, rel=0.01)
    assert fit.floor == pytest.approx(floor, abs=0.5)
    assert fit.s0 == pytest.approx(s0, abs=0.5)


def test_it_recovers_a_noisy_curve_within_tolerance():
    noise = [1.5, -2.0, 0.5, 1.0, -1.5, 2.0, -0.5, 1.0, -1.0, 0.5]
    days = [0, 3, 7, 10, 14, 21, 28, 42, 56, 70]
    points = [(t, y + n) for (t, y), n in zip(curve(55, 90, 12, days), noise, strict=True)]
    fit = forgetting_fit(points)
    assert isinstance(fit, ForgettingFit)
    assert 9 <= fit.half_life_days <= 15
    assert fit.floor == pytest.approx(55, abs=3)
    assert fit.score_at(0) == pytest.approx(90, abs=3)


def test_it_refuses_fewer_than_three_moments():
    fit = forgetting_fit([(0, 90), (28, 70), (28, 72), (-3, 40)])
    assert fit == NoFit(
        "Not enough follow-up measurements to fit a forgetting curve: 2 moments after the "
        "workshop, 3 needed."
    )


def test_it_says_so_when_scores_do_not_fall():
    fit = forgetting_fit([(0, 60), (14, 70), (28, 80), (42, 85)])
    assert fit == NoFit("The scores do not fall over time, so there is no forgetting curve to fit.")


def test_it_fits_three_points_exactly():
    fit = forgetting_fit(curve(60, 90, 14, [0, 28, 56]))
    assert isinstance(fit, ForgettingFit)
    assert fit.half_life_days == pytest.approx(14, rel=0.01)
    assert fit.floor == pytest.approx(60, abs=0.2)


def test_it_weighs_each_point_by_its_answers():
    exact = curve(50, 90, 10, [0, 5, 10, 20, 40, 60])
    # One stray point from a single answer barely moves a curve resting on hundreds.
    points = [(t, y, 100) for t, y in exact] + [(15, 0.0, 1)]
    fit = forgetting_fit(points)
    assert isinstance(fit, ForgettingFit)
    assert fit.half_life_days == pytest.approx(10, rel=0.05)
    assert fit.floor == pytest.approx(50, abs=1)
    unweighted = forgetting_fit([(t, y) for t, y, _ in points])
    assert abs(unweighted.floor - 50) > abs(fit.floor - 50)


def test_it_says_so_when_scores_drop_at_once_then_wander():
    fit = forgetting_fit([(0, 90), (1, 40), (2, 95), (3, 40), (4, 95), (5, 40)])
    assert fit == NoFit(
        "The scores drop at once and then do not follow a forgetting curve, so none is shown."
    )


def power_curve(floor: float, s0: float, exponent: float, days: list[float]) -> list[tuple]:
    return [(t, floor + (s0 - floor) * (1 + t) ** -exponent) for t in days]


DAYS = [0, 3, 7, 14, 21, 28, 42, 56, 70, 90]


@pytest.mark.parametrize(("floor", "s0", "exponent"), [(40, 90, 0.6), (20, 85, 0.3), (0, 95, 1.2)])
def test_it_recovers_a_known_power_law(floor, s0, exponent):
    fit = power_law_fit(power_curve(floor, s0, exponent, DAYS))
    assert isinstance(fit, PowerLawFit)
    assert fit.exponent == pytest.approx(exponent, rel=0.01)
    assert fit.floor == pytest.approx(floor, abs=0.5)
    assert fit.score_at(0) == pytest.approx(s0, abs=0.5)


def test_it_prefers_the_power_law_when_forgetting_slows_down():
    noise = [1.0, -1.0, 0.5, -0.5, 1.0, -1.0, 0.5, -0.5, 1.0, -1.0]
    points = [(t, y + n) for (t, y), n in zip(power_curve(30, 90, 0.5, DAYS), noise, strict=True)]
    choice = forgetting_curves(points)
    assert choice.better == "power law"
    assert choice.aicc_difference > 2
    assert choice.chosen is choice.power_law
    assert choice.summary.startswith("A power-law curve fits better than an exponential one")


def test_it_prefers_the_exponential_when_scores_halve_at_a_steady_rate():
    noise = [0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5]
    points = [(t, y + n) for (t, y), n in zip(curve(50, 90, 10, DAYS), noise, strict=True)]
    choice = forgetting_curves(points)
    assert choice.better == "exponential"
    assert choice.chosen is choice.exponential
    assert choice.summary.startswith("An exponential curve fits better than a power law")


def test_it_does_not_choose_on_too_few_measurements():
    choice = forgetting_curves(curve(50, 90, 10, [0, 14, 28, 56]))
    assert choice.better == ""
    assert choice.chosen is choice.exponential
    assert choice.summary == (
        "Too few measurements to tell an exponential from a power-law curve (5 needed)."
    )


def test_it_computes_aicc_for_least_squares():
    # n ln(RSS / n) + 2k + 2k(k + 1) / (n - k - 1) with n = 10, k = 3, RSS = 20.
    assert aicc(20.0, 10) == pytest.approx(10 * math.log(2) + 6 + 24 / 6)
    with pytest.raises(ValueError):
        aicc(1.0, 4)


def test_it_shows_no_power_law_for_a_drop_at_once():
    points = [(0, 90), (1, 60), (7, 60), (14, 60), (28, 60), (56, 60)]
    assert power_law_fit(points) == NoFit(
        "The scores drop at once and then do not follow a forgetting curve, so none is shown."
    )
    assert forgetting_curves(points).chosen == forgetting_fit(points)
