from collections import Counter

from sparks.lift_design import late_objective_half, objective_halves, probe_days

OBJECTIVES = ["feedback", "listening", "delegation", "coaching", "conflict", "goals"]


def test_it_gives_the_same_design_from_the_same_seed():
    people = [(f"p{n}@example.test", None) for n in range(1, 31)]
    first = objective_halves(seed="s1", participants=people, objectives=OBJECTIVES)
    assert first == objective_halves(seed="s1", participants=people[::-1], objectives=OBJECTIVES)
    assert first != objective_halves(seed="s2", participants=people, objectives=OBJECTIVES)


def test_it_boosts_half_of_the_objectives_for_each_person():
    halves = objective_halves(
        seed="s", participants=[(n, None) for n in range(30)], objectives=OBJECTIVES
    )
    assert set(halves) == set(range(30))
    assert {len(boosted) for boosted in halves.values()} == {3}
    assert all(boosted <= set(OBJECTIVES) for boosted in halves.values())


def test_it_balances_each_objective_within_each_study_group():
    people = [(n, "group A") for n in range(10)] + [(n, "group B") for n in range(10, 24)]
    halves = objective_halves(seed="s", participants=people, objectives=OBJECTIVES)
    for group, members in (("group A", range(10)), ("group B", range(10, 24))):
        counts = Counter(o for n in members for o in halves[n])
        assert counts == {o: len(members) // 2 for o in OBJECTIVES}, group


def test_an_odd_number_of_objectives_splits_into_complementary_halves():
    halves = objective_halves(
        seed="s", participants=[(1, None), (2, None)], objectives=["a", "b", "c"]
    )
    assert halves[1] | halves[2] == {"a", "b", "c"}
    assert not halves[1] & halves[2]


def test_a_late_participant_gets_a_reproducible_half_of_their_own():
    half = late_objective_half(seed="s", person=7, objectives=OBJECTIVES)
    assert len(half) == 3
    assert half == late_objective_half(seed="s", person=7, objectives=OBJECTIVES[::-1])
    assert (
        len({late_objective_half(seed="s", person=n, objectives=OBJECTIVES) for n in range(40)}) > 5
    )


def test_the_probe_asks_one_objective_a_day_between_days_30_and_90():
    days = probe_days(seed="s", person=3, objectives=OBJECTIVES)
    assert set(days) == set(OBJECTIVES)
    assert sorted(days.values()) == list(range(min(days.values()), min(days.values()) + 6))
    assert min(days.values()) >= 30
    assert max(days.values()) <= 90
    assert days == probe_days(seed="s", person=3, objectives=OBJECTIVES)


def test_probes_are_spread_over_the_whole_range():
    starts = [
        min(probe_days(seed="s", person=n, objectives=OBJECTIVES).values()) for n in range(300)
    ]
    assert min(starts) <= 32 and max(starts) >= 83
    firsts = Counter(
        min(days, key=days.get)
        for days in (probe_days(seed="s", person=n, objectives=OBJECTIVES) for n in range(300))
    )
    assert len(firsts) == 6
