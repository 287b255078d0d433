"""The scaled seed (demo/scale.py) costs a bounded number of queries per chunk, not per row.

Its own module: it seeds 1,200 participants' activity, so under pytest-xdist it runs beside
test_scale_seed.py (whose tests share one seed) rather than after it.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from demo import scale
from tests.demo.test_scale_seed import seed


@pytest.mark.django_db
def test_it_costs_a_bounded_number_of_queries_per_chunk_not_per_row(monkeypatch):
    """At 400 and 800 participants, one cohort a chunk: queries grow with chunks, rows do not
    add any."""
    monkeypatch.setattr(scale, "COHORTS_PER_CHUNK", 1)
    measured: list[tuple[int, dict]] = []
    create = scale.bench_activity_create

    def counted(**kwargs):
        with CaptureQueriesContext(connection) as captured:
            counts = create(**kwargs)
        measured.append((len(captured), counts))
        return counts

    monkeypatch.setattr(scale, "bench_activity_create", counted)
    # --reset: the scaled organisation may exist (in the module of test_scale_seed.py it did).
    seed("--scale", "400", "--reset")
    seed("--scale", "800", "--reset")
    (small_queries, small), (large_queries, large) = measured
    assert (small["chunks"], large["chunks"]) == (4, 8)
    assert large["scaled activity records"] > 1.8 * small["scaled activity records"]
    # Twice the chunks, about twice the queries (the phases of the cohorts vary, so not exactly).
    assert large_queries <= 2.5 * small_queries
    for queries, counts in measured:
        assert queries <= scale.MAX_QUERIES_PER_CHUNK * counts["chunks"]
        # Thousands of rows a chunk, a few dozen queries: nothing is written row by row.
        assert counts["scaled activity records"] / queries > 50
