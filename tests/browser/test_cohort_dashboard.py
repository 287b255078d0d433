"""A manager opens the cohort dashboard: the retention chart is drawn from data points, its table
says the same, its CSV downloads, and axe-core finds no serious or critical violations."""

from datetime import timedelta
from pathlib import Path

from playwright.sync_api import expect

from discussions.models import PostKind, Thread
from notifications.models import Notification
from socialtraining import clock
from tests.browser import axe
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD
from tests.insights import cohort_builders as b


def _story(world) -> None:
    now = clock.now()
    end = b.workshop_ended(world.cohort, days_ago=60, now=now)
    people = [world.participant, world.groupmate, world.other_group_participant]
    b.knowledge_round(
        world.cohort,
        label="Before",
        opens_at=end - timedelta(days=5),
        scores=[(p, 2, 5) for p in people],
    )
    for label, days, score in (("Right after", 0, 5), ("+30 days", 30, 4), ("+59 days", 59, 3)):
        b.knowledge_round(
            world.cohort,
            label=label,
            opens_at=end + timedelta(days=days, hours=1),
            scores=[(p, score - (i == 0), 5) for i, p in enumerate(people)],
        )
    thread = Thread.objects.create(
        cohort=world.cohort, title="Useful article", kind=PostKind.ARTICLE
    )
    b.post(thread, world.participant, kind=PostKind.ARTICLE, at=end + timedelta(days=2))
    b.post(thread, world.groupmate, at=end + timedelta(days=3))


def test_it_draws_the_retention_chart_its_table_and_csv_accessibly(world, page, axe_served):
    _story(world)
    sign_in(page, world.manager.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/")
    page.get_by_role("link", name="Cohort insights").click()
    page.wait_for_selector('#chart-retention[data-drawn="true"]')
    drawn = page.evaluate(
        """() => document.querySelector('#chart-retention').chart.data.datasets.map(
            d => ({label: d.label, data: d.data}))"""
    )
    cohort_series = next(d for d in drawn if d["label"] == "This cohort")
    points = [v for v in cohort_series["data"] if v is not None]
    assert len(points) == 3
    assert points[0] > points[-1]

    # The table alternative shows the same numbers the chart draws.
    page.get_by_text("Show the numbers as a table").first.click()
    cells = page.locator("#chart-retention table tbody tr").evaluate_all(
        "rows => rows.map(r => r.querySelector('td').textContent.trim())"
    )
    table = [None if c.endswith("no data") else float(c.rstrip("%")) for c in cells]
    assert table == cohort_series["data"]

    with page.expect_download() as download_info:
        page.locator("#chart-retention").get_by_role(
            "link", name="Download these numbers (CSV)"
        ).click()
    download = download_info.value
    assert download.suggested_filename == "feedback-that-lands-retention.csv"
    lines = Path(download.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("Weeks since the workshop,This cohort")
    assert len(lines) == len(table) + 1

    assert axe.audit(page, role="manager", name="cohort insights, numbers shown") == []


def test_it_lists_people_at_risk_by_severity_and_nudges_them_with_the_manager_s_words(
    world, page, travel
):
    _story(world)
    # Three days on, everyone has been quiet since the +59 days round; the groupmate also
    # missed a spark half a day ago.
    travel.by(timedelta(days=3))
    b.spark_with_answers(
        world.cohort,
        offset_days=62,
        answers=[],
        missed=[world.groupmate],
        at=clock.now() - timedelta(hours=12),
    )
    sign_in(page, world.manager.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/insights/")
    page.get_by_label("No activity for at least (days)").fill("1")
    page.get_by_role("button", name="Show").click()
    rows = page.locator("#at-risk ~ form tbody tr")
    expect(rows.first).to_be_visible()
    expect(rows).to_have_count(3)
    assert rows.locator("td[data-severity]").all_inner_texts() == ["High", "Medium", "Medium"]
    expect(rows.first).to_contain_text(world.groupmate.name)
    expect(rows.first).to_contain_text("missed 1 spark in the last day")
    who = rows.first.locator("a").inner_text()
    rows.first.locator('input[type="checkbox"]').check()
    message = page.get_by_label("Message")
    expect(message).to_have_value(
        f"{world.manager.name} wonders how you are getting on. A few minutes in the cohort's "
        "discussions, sparks or surveys keeps what you learned fresh."
    )
    message.fill("We saved you a seat in Thursday's thread.")
    page.get_by_role("button", name="Nudge the selected participants").click()
    expect(page.get_by_text(f"Nudged {who} at")).to_be_visible()
    notice = Notification.objects.get(key__startswith="insights-nudge:")
    assert notice.body == "We saved you a seat in Thursday's thread."
    # Who was nudged when: their "Last nudged" cell holds today's nudge.
    last_nudged = page.locator("#at-risk ~ form tbody tr", has_text=who).locator("td").last
    expect(last_nudged).not_to_have_text("\u2013")
