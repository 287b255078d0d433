import csv
import io
import json
import re

import pytest

from insights.rollups import rollups_refresh
from tests.insights.conftest import build_cohorts, build_past

pytestmark = pytest.mark.django_db
URL = "/insights/compare/"


def flat(response) -> str:
    return re.sub(r">\s+<", "><", response.content.decode())


def chart_config(response, chart_id: str) -> dict:
    html = response.content.decode()
    figure = html.split(f'id="chart-{chart_id}"', 1)[1]
    return json.loads(figure.split('type="application/json">', 1)[1].split("</script>", 1)[0])


def test_it_shows_the_ticked_cohorts_side_by_side(client_for, world, past):
    rollups_refresh()

    response = client_for(world.manager).get(URL, {"cohort": [past.cohort.pk, world.cohort.pk]})

    assert response.status_code == 200
    html = flat(response)
    assert (
        f'<th scope="col"><a href="/cohorts/{past.cohort.pk}/insights/">Past cohort</a></th>'
        f'<th scope="col"><a href="/cohorts/{world.cohort.pk}/insights/">Feedback that lands</a>'
    ) in html
    assert '<th scope="row">Phase</th><td>After class</td><td>Before class</td>' in html
    assert '<th scope="row">Participants</th><td>4</td><td>3</td>' in html
    assert '<th scope="row">NPS</th><td>33</td><td>\N{EN DASH}</td>' in html
    assert '<th scope="row">Knowledge retained</th><td>81.6%</td><td>\N{EN DASH}</td>' in html
    assert "Updated <time" in html


def test_it_draws_each_cohort_retention_curve_over_the_organisation(client_for, world, past):
    second = build_past(world, "Second past")
    rollups_refresh()

    response = client_for(world.manager).get(URL, {"cohort": [past.cohort.pk, second.cohort.pk]})

    config = chart_config(response, "retention")
    assert config["labels"] == ["0", "1", "2", "3", "4"]
    assert config["series"] == [
        {"label": "Past cohort", "values": [70.0, None, None, None, 57.1], "style": "main"},
        {"label": "Second past", "values": [70.0, None, None, None, 57.1], "style": "main"},
        {
            "label": "All cohorts of the organisation",
            "values": [70.0, None, None, None, 57.1],
            "style": "faint",
        },
    ]


def test_it_downloads_the_compared_curves(client_for, world, past):
    rollups_refresh()

    response = client_for(world.manager).get(
        "/insights/charts/retention.csv", {"cohort": [past.cohort.pk, world.cohort.pk]}
    )

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == [
        "Weeks since the workshop",
        "Past cohort",
        "Feedback that lands",
        "All cohorts of the organisation",
    ]
    assert rows[1] == ["0", "70.0", "", "70.0"]


@pytest.mark.parametrize("count", [1, 5])
def test_it_asks_for_two_to_four_cohorts(client_for, world, count):
    cohorts = build_cohorts(world, 5)
    rollups_refresh()

    response = client_for(world.manager).get(URL, {"cohort": [c.pk for c in cohorts[:count]]})

    assert response.status_code == 400
    assert "Tick between 2 and 4 cohorts to compare them." in response.content.decode()


def test_it_refuses_ids_that_are_not_numbers(client_for, world):
    response = client_for(world.manager).get(URL, {"cohort": ["1", "x"]})

    assert response.status_code == 400
    assert "Pick cohorts from the table." in response.content.decode()


def test_it_is_a_404_for_another_organisations_cohort(client_for, world, past):
    rollups_refresh()
    ids = {"cohort": [past.cohort.pk, world.outsider_cohort.pk]}

    assert client_for(world.manager).get(URL, ids).status_code == 404
    assert client_for(world.outsider).get(URL, ids).status_code == 404
    assert client_for(world.manager).get("/insights/charts/retention.csv", ids).status_code == 404


@pytest.mark.parametrize("persona", ["instructor", "participant"])
def test_it_is_a_404_for_instructors_and_participants(client_for, world, past, persona):
    rollups_refresh()

    response = client_for(getattr(world, persona)).get(
        URL, {"cohort": [past.cohort.pk, world.cohort.pk]}
    )

    assert response.status_code == 404


def test_it_costs_the_same_queries_for_small_and_busy_cohorts(
    client_for, world, django_assert_max_num_queries
):
    small = build_cohorts(world, 2, prefix="Small")
    rollups_refresh()
    client = client_for(world.manager)
    client.get(URL, {"cohort": [c.pk for c in small]})
    with django_assert_max_num_queries(15) as few:
        assert client.get(URL, {"cohort": [c.pk for c in small]}).status_code == 200

    busy = [build_past(world, f"Busy {n}").cohort for n in range(4)]
    build_cohorts(world, 25, prefix="More")
    rollups_refresh()
    with django_assert_max_num_queries(len(few)):
        response = client.get(URL, {"cohort": [c.pk for c in busy]})
    assert len(chart_config(response, "retention")["series"]) == 5
