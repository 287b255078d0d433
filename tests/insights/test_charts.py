import csv
import io
import re

import pytest
from django.template.loader import render_to_string

from insights.charts import Chart, Series, chart_csv


def retention_chart(**overrides) -> Chart:
    values = {
        "id": "retention",
        "title": "Knowledge retention",
        "kind": "line",
        "x_label": "Weeks since the workshop",
        "y_label": "Average score (%)",
        "labels": ["0", "1", "2"],
        "series": [
            Series("This cohort", [80.0, None, 64.5]),
            Series("Other cohorts", [75.0, 70.0, 66.0], style="faint"),
        ],
        "summary": "Half of what is forgotten is gone after 9 days.",
        "unit": "%",
    }
    values.update(overrides)
    return Chart(**values)


def test_it_refuses_series_that_do_not_match_the_labels():
    with pytest.raises(ValueError, match="wrong number of values"):
        retention_chart(series=[Series("This cohort", [1.0])])


def test_it_refuses_unknown_kinds_and_styles():
    with pytest.raises(ValueError, match="kind"):
        retention_chart(kind="pie")
    with pytest.raises(ValueError, match="style"):
        Series("x", [], style="glowing")


def test_it_is_empty_only_without_any_value():
    assert not retention_chart().is_empty
    assert retention_chart(series=[Series("This cohort", [None, None, None])]).is_empty


def test_it_renders_the_table_from_the_same_numbers_as_the_picture():
    html = render_to_string("insights/_chart.html", {"chart": retention_chart()})
    assert "data-chart" in html
    assert '"values": [80.0, null, 64.5]' in html
    flat = re.sub(r">\s+<", "><", html)
    assert '<th scope="row">2</th><td>64.5%</td><td>66.0%</td>' in flat
    no_data = (
        '<span aria-hidden="true">\N{EN DASH}</span><span class="visually-hidden">no data</span>'
    )
    assert f'<th scope="row">1</th><td>{no_data}</td><td>70.0%</td>' in flat
    assert "Half of what is forgotten" in html


def test_it_shows_no_canvas_for_an_empty_chart():
    chart = retention_chart(series=[Series("This cohort", [None, None, None])])
    html = render_to_string("insights/_chart.html", {"chart": chart})
    assert "<canvas" not in html
    assert "No data yet." in html


def test_it_downloads_the_numbers_as_csv_with_a_byte_order_mark():
    response = chart_csv(retention_chart(), name="Coaching Skills")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    assert response["Content-Disposition"] == 'attachment; filename="coaching-skills-retention.csv"'
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows == [
        ["Weeks since the workshop", "This cohort", "Other cohorts"],
        ["0", "80.0", "75.0"],
        ["1", "", "70.0"],
        ["2", "64.5", "66.0"],
    ]
