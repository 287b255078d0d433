import pytest

from insights.lift_stats import (
    LiftEstimate,
    NotEnoughAnswers,
    ProbeAnswer,
    lift_bench_figures,
    lift_sentence,
    lift_simulation,
    paired_lift,
    pooled_lift,
    t_quantile,
)


@pytest.mark.parametrize(
    ("df", "table"),
    [(1, 12.7062), (2, 4.3027), (3, 3.1824), (4, 2.7764), (9, 2.2622), (29, 2.0452), (99, 1.9842)],
)
def test_it_gives_the_t_quantiles_of_the_tables(df, table):
    assert t_quantile(0.975, df) == pytest.approx(table, abs=0.004 if df == 3 else 0.001)


def test_it_refuses_zero_degrees_of_freedom():
    with pytest.raises(ValueError):
        t_quantile(0.975, 0)


def answers_from_differences(differences):
    """One boosted and one held-out answer per person giving each difference (1, 0 or -1)."""
    answers = []
    for person, difference in enumerate(differences):
        boosted, held_out = {1: (True, False), 0: (True, True), -1: (False, True)}[difference]
        answers += [
            ProbeAnswer(person=person, objective="a", boosted=True, correct=boosted),
            ProbeAnswer(person=person, objective="b", boosted=False, correct=held_out),
        ]
    return answers


def test_it_computes_a_paired_t_interval_on_per_person_differences():
    estimate = paired_lift(answers_from_differences([1, 0, 0, 1, 0, 1, 0, 0, 1, 0]))
    # Mean 0.4, sample sd sqrt(2.4 / 9), se sd / sqrt(10), t(0.975, 9) = 2.2622.
    assert isinstance(estimate, LiftEstimate)
    assert estimate.points == pytest.approx(40)
    assert estimate.standard_error == pytest.approx(16.33, abs=0.01)
    assert estimate.low == pytest.approx(40 - 2.2622 * 16.33, abs=0.05)
    assert estimate.high == pytest.approx(40 + 2.2622 * 16.33, abs=0.05)
    assert (estimate.people, estimate.answers) == (10, 20)
    assert estimate.boosted_share == pytest.approx(100)
    assert estimate.held_out_share == pytest.approx(60)
    assert estimate.excludes_zero


def test_it_pairs_by_person_not_by_answer():
    # Person 0 answers four boosted probes and one held-out; their difference counts once.
    answers = answers_from_differences([0] * 10) + [
        ProbeAnswer(person=0, objective=o, boosted=True, correct=False) for o in "cde"
    ]
    estimate = paired_lift(answers)
    assert estimate.people == 10
    assert estimate.answers == 23
    # Person 0: 1 of 4 boosted right, 1 of 1 held out: -75 points, averaged over ten people.
    assert estimate.points == pytest.approx(-7.5)


def test_it_leaves_out_people_with_answers_on_one_side_only():
    answers = [
        *answers_from_differences([1] * 9 + [0]),
        ProbeAnswer(person="only boosted", objective="a", boosted=True, correct=False),
        ProbeAnswer(person="only held out", objective="b", boosted=False, correct=True),
    ]
    estimate = paired_lift(answers)
    assert estimate.people == 10
    assert estimate.points == pytest.approx(90)


def test_it_says_not_enough_below_ten_people():
    estimate = paired_lift(answers_from_differences([1, 0, 1, 1, 0, 1, 1, 0, 1]))
    assert estimate == NotEnoughAnswers(people=9, answers=18)
    assert lift_sentence(estimate) == (
        "Not enough answers yet to say whether sparks raised retention."
    )


def estimate(points, low, high):
    return LiftEstimate(
        points=points,
        low=low,
        high=high,
        standard_error=(high - low) / 3.92,
        people=30,
        answers=180,
        boosted_share=70,
        held_out_share=70 - points,
    )


@pytest.mark.parametrize(
    ("values", "sentence"),
    [
        ((12.4, 5.2, 19.4), "Sparks raised retention by 12 points (95% CI 5 to 19)."),
        (
            (-6, -9.4, -1.2),
            "Retention was 6 points lower on the boosted objectives (95% CI -9 to -1).",
        ),
        (
            (3, -4, 10),
            "No clear effect of sparks on retention yet: 3 points (95% CI -4 to 10), an interval "
            "that includes zero.",
        ),
    ],
)
def test_it_says_the_lift_in_a_plain_sentence(values, sentence):
    assert lift_sentence(estimate(*values)) == sentence


def test_it_pools_equal_cohorts_to_their_common_lift_with_a_narrower_interval():
    cohort = estimate(10, 10 - 1.96 * 4, 10 + 1.96 * 4)
    pooled = pooled_lift([cohort] * 4)
    assert pooled.points == pytest.approx(10)
    assert pooled.tau_squared == 0
    # Four cohorts of standard error 4 pool to 4 / 2.
    assert pooled.high - pooled.low == pytest.approx(2 * 1.96 * 2, abs=0.01)
    assert (pooled.cohorts, pooled.people) == (4, 120)


def test_it_pools_disagreeing_cohorts_with_dersimonian_laird():
    # Lifts 0, 10 and 20, each with standard error 2: Q = 50, C = 0.5, tau² = (50 - 2) / 0.5.
    cohorts = [estimate(y, y - 1.96 * 2, y + 1.96 * 2) for y in (0, 10, 20)]
    pooled = pooled_lift(cohorts)
    assert pooled.tau_squared == pytest.approx(96, rel=1e-3)
    assert pooled.i_squared == pytest.approx(0.96, rel=1e-3)
    assert pooled.points == pytest.approx(10)
    # Each weighs 1 / (4 + 96): standard error sqrt(100 / 3).
    assert pooled.high == pytest.approx(10 + 1.96 * 5.7735, abs=0.01)
    assert lift_sentence(pooled) == (
        "No clear effect of sparks on retention yet: 10 points (95% CI -1 to 21), an interval "
        "that includes zero."
    )


def test_it_pools_nothing_without_a_usable_cohort():
    assert pooled_lift([]) is None
    assert pooled_lift([estimate(10, 10, 10)]) is None


def test_the_seeded_simulation_keeps_the_intervals_promise():
    """Issue 17's bar: 200 cohorts of 30 people and 6 objectives."""
    planted = lift_simulation(cohorts=200, people=30, objectives=6, lift_points=10)
    null = lift_simulation(cohorts=200, people=30, objectives=6, lift_points=0, seed=18)
    assert planted.not_enough == null.not_enough == 0
    assert planted.coverage >= 0.90
    assert null.excludes_zero <= 0.10
    assert lift_bench_figures() == {
        "lift_ci_coverage": round(planted.coverage, 3),
        "lift_false_positive_rate": round(null.excludes_zero, 3),
    }


def test_the_simulation_is_reproducible_and_sees_a_large_lift():
    assert lift_simulation(cohorts=20, seed=3) == lift_simulation(cohorts=20, seed=3)
    # A 40-point lift is found in nearly every cohort of 30, and still covered.
    large = lift_simulation(cohorts=50, lift_points=40)
    assert large.excludes_zero >= 0.95
    assert large.coverage >= 0.85
