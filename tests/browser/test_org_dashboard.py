"""A manager reads the organisation dashboard in Chromium: charts drawn, tables, CSV, axe-core."""

import csv
import io
import re
from pathlib import Path

from playwright.sync_api import expect

from insights.rollups import rollups_refresh
from tests.browser import axe
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD
from tests.insights.conftest import build_past


def test_it_draws_the_charts_and_downloads_the_numbers(page, world):
    build_past(world)
    build_past(world, "Second past")
    rollups_refresh()
    sign_in(page, world.manager.email, PASSWORD)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Insights").click()

    expect(page.get_by_role("heading", name="Insights", exact=True)).to_be_visible()
    figure = page.locator("#chart-knowledge")
    expect(figure).to_have_attribute("data-drawn", "true")
    drawn = figure.locator("canvas").evaluate(
        """canvas => {
            const chart = Chart.getChart(canvas);
            const pixels = canvas.getContext("2d")
                .getImageData(0, 0, canvas.width, canvas.height).data;
            return {
                labels: chart.data.labels,
                values: chart.data.datasets.map(d => d.data),
                painted: pixels.some((value, i) => i % 4 === 3 && value > 0),
            };
        }"""
    )
    assert drawn["painted"]
    # Newest workshop first, as the table below the chart.
    assert drawn["labels"] == ["Second past", "Past cohort"]
    assert drawn["values"] == [[70, 70], [57.1, 57.1]]

    figure.get_by_text("Show the numbers as a table").click()
    rows = figure.locator("tbody tr")
    expect(rows).to_have_count(2)
    assert [rows.nth(i).locator("th, td").all_inner_texts() for i in range(2)] == [
        ["Second past", "70.0%", "57.1%"],
        ["Past cohort", "70.0%", "57.1%"],
    ]
    expect(page.locator("#chart-retention")).to_have_attribute("data-drawn", "true")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the cohort table (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == "acme-cohort-metrics.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert sorted(row[0] for row in rows[1:]) == [
        "Feedback that lands",
        "Leading remote teams",
        "Past cohort",
        "Second past",
    ]

    # Sorting goes through htmx and keeps a real address.
    page.get_by_role("link", name="Participants", exact=True).click()
    expect(page).to_have_url(re.compile(r"/insights/\?sort=-participants$"))
    first = page.locator("table.cohort-metrics tbody tr").first
    expect(first.get_by_role("rowheader")).to_have_text("Past cohort")
    # The swapped-in fragment brings its chart, drawn again.
    expect(page.locator("#chart-knowledge")).to_have_attribute("data-drawn", "true")

    # Filtering: choosing a phase updates the table (htmx) and the address keeps the filter.
    page.get_by_label("Phase").select_option("before")
    expect(page).to_have_url(re.compile(r"phase=before"))
    rows = page.locator("table.cohort-metrics tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_role("rowheader")).to_have_text("Feedback that lands")


def test_it_has_no_serious_accessibility_violations(page, world, axe_served):
    build_past(world)
    rollups_refresh()
    sign_in(page, world.manager.email, PASSWORD)
    found = []
    for name, url in (
        ("insights", "/insights/"),
        (
            "compare cohorts",
            f"/insights/compare/?cohort={world.cohort.pk}&cohort={world.other_cohort.pk}",
        ),
    ):
        page.goto(url)
        found += axe.audit(page, role="manager", name=name)
    assert found == []


def test_it_drills_from_the_organisation_into_a_cohort_s_retention_chart(page, world):
    past = build_past(world)
    rollups_refresh()
    sign_in(page, world.manager.email, PASSWORD)
    page.goto("/insights/")

    page.locator("table.cohort-metrics").get_by_role("link", name="Past cohort").click()

    expect(page).to_have_url(re.compile(rf"/cohorts/{past.cohort.pk}/insights/$"))
    figure = page.locator("#chart-retention")
    expect(figure).to_have_attribute("data-drawn", "true")
    points = figure.locator("canvas").evaluate(
        """canvas => Chart.getChart(canvas).data.datasets
            .flatMap(d => d.data).filter(v => v !== null).length"""
    )
    assert points > 0


def test_it_fits_the_cohort_table_on_a_laptop_with_the_key_figures_in_view(page, world):
    build_past(world)
    rollups_refresh()
    sign_in(page, world.manager.email, PASSWORD)
    page.goto("/insights/")
    table = page.locator("table.cohort-metrics")
    box = table.bounding_box()
    container = table.locator("xpath=..").bounding_box()
    assert box["width"] <= container["width"] + 1, (box["width"], container["width"])
    width = page.viewport_size["width"]
    for name in ("Retained", "Spark answer rate"):
        header = table.get_by_role("columnheader", name=name)
        expect(header).to_be_visible()
        assert header.bounding_box()["x"] + header.bounding_box()["width"] <= width
    assert page.evaluate("document.documentElement.scrollWidth") <= width
