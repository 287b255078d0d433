import csv
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from cohorts.models import CohortRole
from insights.models import CohortRollup
from insights.rollups import rollups_refresh
from socialtraining import clock
from tests import factories as f
from tests.insights.conftest import build_cohorts, build_past

pytestmark = pytest.mark.django_db
URL = "/insights/"


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).strip()


def row_names(response) -> list[str]:
    return re.findall(
        r'<th scope="row"><a href="/cohorts/\d+/insights/"[^>]*>([^<]+)</a>',
        response.content.decode(),
    )


def test_it_shows_a_manager_the_headline_of_the_running_cohorts(client_for, world, past):
    rollups_refresh()

    response = client_for(world.manager).get(URL)

    assert response.status_code == 200
    page = text(response)
    # Running: the cohort before class and the past one after class; not the unscheduled one.
    assert "Cohorts running 2 of 3" in page
    assert "Participants in running cohorts 7" in page
    # Active: ann and bob of the 3 + 4 participants.
    assert "Active in the last 14 days 28.6%" in page
    assert "Average knowledge retained 81.6%" in page
    assert "Spark answer rate 66.7%" in page


def test_it_lists_every_metric_of_a_cohort_with_a_link_to_its_dashboard(client_for, world, past):
    rollups_refresh()

    response = client_for(world.manager).get(URL, {"phase": "after"})

    html = response.content.decode()
    assert row_names(response) == ["Past cohort"]
    assert f'href="{reverse("insights:cohort_dashboard", args=[past.cohort.pk])}"' in html
    table = (
        html.split('class="cohort-metrics"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    )
    row = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table)).strip().split("Past cohort ", 1)[1]
    # Retained and the spark answer rate first: the figures managers come for.
    assert row.startswith(
        "After class 81.6% 66.7% 4 50.0% 50.0% 33 70.0% 57.1% week 4 0.0% 0.5 "
        f"{past.cohort.sessions.get().starts_at:%-d %b %Y} "
    )
    assert world.instructor.name in row


def test_it_says_how_fresh_the_numbers_are(client_for, world, past):
    rollups_refresh()
    CohortRollup.objects.update(refreshed_at=clock.now() - timedelta(minutes=12, seconds=5))

    page = client_for(world.manager).get(URL).content.decode()

    assert "Updated <time" in page
    assert page.count("12\xa0minutes ago</time>") >= 2
    assert "more than an hour old" not in page


def test_it_warns_when_the_refresh_has_stopped(client_for, world, past):
    rollups_refresh()
    CohortRollup.objects.update(refreshed_at=clock.now() - timedelta(hours=1, minutes=5))

    page = client_for(world.manager).get(URL).content.decode()

    assert "Updated <time" in page
    assert "These numbers are more than an hour old" in page


def test_it_says_when_nothing_is_computed_yet(client_for, world):
    page = text(client_for(world.manager).get(URL))

    assert "No numbers yet" in page
    assert "Not computed yet" in page


def test_it_filters_by_phase_instructor_and_workshop_dates(client_for, world, past):
    teacher = f.UserFactory(email="teacher@example.test")
    f.MembershipFactory(organization=world.organization, user=teacher, role=Role.INSTRUCTOR)
    f.EnrolmentFactory(cohort=world.other_cohort, user=teacher, role=CohortRole.INSTRUCTOR)
    rollups_refresh()
    client = client_for(world.manager)
    today = timezone.localtime(clock.now()).date()

    assert row_names(client.get(URL, {"phase": "before"})) == ["Feedback that lands"]
    assert row_names(client.get(URL, {"instructor": teacher.pk})) == ["Leading remote teams"]
    assert row_names(client.get(URL, {"starts_until": today - timedelta(days=30)})) == [
        "Past cohort"
    ]
    assert row_names(client.get(URL, {"starts_from": today})) == ["Feedback that lands"]
    assert row_names(client.get(URL, {"phase": "completed"})) == []


def test_it_explains_a_backwards_date_range(client_for, world, past):
    rollups_refresh()
    today = timezone.localtime(clock.now()).date()

    response = client_for(world.manager).get(
        URL,
        {"starts_from": today, "starts_until": today - timedelta(days=1), "sort": "-participants"},
    )

    assert response.status_code == 200
    assert "The end of the range is before its start." in response.content.decode()
    assert row_names(response) == ["Past cohort", "Feedback that lands", "Leading remote teams"]


def test_it_sorts_by_any_column_both_ways(client_for, world, past):
    rollups_refresh()
    client = client_for(world.manager)

    most_first = client.get(URL, {"sort": "-participants"})
    assert row_names(most_first) == ["Past cohort", "Feedback that lands", "Leading remote teams"]
    assert row_names(client.get(URL, {"sort": "participants"})) == [
        "Leading remote teams",
        "Feedback that lands",
        "Past cohort",
    ]
    # Cohorts without a score go last either way.
    assert row_names(client.get(URL, {"sort": "retained"}))[0] == "Past cohort"
    html = most_first.content.decode()
    assert (
        '<th scope="col" aria-sort="descending"><a href="?sort=participants">Participants' in html
    )


def test_it_paginates_the_cohort_table(client_for, world):
    build_cohorts(world, 30)
    rollups_refresh()
    client = client_for(world.manager)

    first = client.get(URL, {"sort": "name"})
    second = client.get(URL, {"sort": "name", "page": 2})

    assert len(row_names(first)) == 25
    # The organisation's two cohorts of the world and the 30 built here, by name.
    assert row_names(second) == [
        *(f"Cohort {i:02d}" for i in range(25, 30)),
        "Feedback that lands",
        "Leading remote teams",
    ]
    assert set(row_names(first)).isdisjoint(row_names(second))
    assert 'href="?sort=name&amp;page=2"' in first.content.decode()


def test_it_answers_htmx_with_the_results_fragment_only(client_for, world, past):
    rollups_refresh()

    response = client_for(world.manager).get(
        URL, {"phase": "after"}, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results"')
    assert "<html" not in html
    assert row_names(response) == ["Past cohort"]


def test_it_downloads_the_filtered_cohort_table_as_csv(client_for, world, past):
    rollups_refresh()

    response = client_for(world.manager).get("/insights/cohorts.csv", {"phase": "after"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="acme-cohort-metrics.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:4] == ["Cohort", "Phase", "Workshop start", "Instructors"]
    assert len(rows) == 2
    rollup = CohortRollup.objects.get(cohort=past.cohort)
    assert rows[1] == [
        "Past cohort",
        "After class",
        rollup.first_session_start.isoformat(),
        world.instructor.name,
        "4",
        "50.0",
        "0.5",
        "50.0",
        "33",
        "70.0",
        "57.1",
        "81.6",
        "66.7",
        # Coached (nobody has a coach), retained by coached people (none), by the others (knowledge
        # checks only, without the sparks).
        "0.0",
        "",
        "85.7",
        "4",
        rollup.refreshed_at.isoformat(),
    ]


def test_it_downloads_the_numbers_of_each_chart(client_for, world, past):
    rollups_refresh()
    client = client_for(world.manager)

    knowledge = client.get("/insights/charts/knowledge.csv")
    retention = client.get("/insights/charts/retention.csv")

    def rows(response):
        return list(
            csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
        )

    assert rows(knowledge) == [
        ["Cohort", "Right after", "Latest follow-up"],
        ["Past cohort", "70.0", "57.1"],
    ]
    assert rows(retention) == [
        ["Weeks since the workshop", "All cohorts of the organisation"],
        ["0", "70.0"],
        ["1", ""],
        ["2", ""],
        ["3", ""],
        ["4", "57.1"],
    ]
    assert client.get("/insights/charts/other.csv").status_code == 404


@pytest.mark.parametrize("persona", ["instructor", "participant", "other_cohort_participant"])
def test_it_is_a_404_for_everyone_but_managers(client_for, world, persona):
    client = client_for(getattr(world, persona))

    assert client.get(URL).status_code == 404
    assert client.get("/insights/cohorts.csv").status_code == 404


def test_it_sends_anonymous_visitors_to_sign_in(client_for, world):
    response = client_for(None).get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_never_shows_another_organisation(client_for, world, past):
    rollups_refresh()
    client = client_for(world.outsider)

    response = client.get(URL)

    assert row_names(response) == ["Globex onboarding"]
    assert client.get(URL, {"org": "acme"}).status_code == 404
    assert client.get("/insights/cohorts.csv", {"org": "acme"}).status_code == 404


def test_it_lets_a_manager_of_several_organisations_switch(client_for, world, past):
    f.MembershipFactory(
        organization=world.other_organization, user=world.manager, role=Role.MANAGER
    )
    rollups_refresh()
    client = client_for(world.manager)

    first = client.get(URL)
    globex = client.get(URL, {"org": "globex"})

    assert "Past cohort" in row_names(first)
    assert row_names(globex) == ["Globex onboarding"]
    assert '<option value="globex" selected>Globex Academy</option>' in globex.content.decode()
    assert client.get(URL, {"org": "nowhere"}).status_code == 404


def test_it_links_insights_in_the_navigation_for_managers_only(client_for, world):
    manager = client_for(world.manager)
    home = manager.get("/").content.decode()
    people = manager.get(f"/cohorts/{world.cohort.pk}/people/").content.decode()

    # The navigation comes with the page: no request after it to fetch a part of it.
    assert 'hx-trigger="load"' not in home.split("</header>")[0]
    assert '<li><a href="/insights/">Insights</a></li>' in home
    assert '<li><a href="/insights/">Insights</a></li>' in people
    assert '<a href="/insights/?org=acme">Insights</a>' in home
    for persona in ("instructor", "participant"):
        client = client_for(getattr(world, persona))
        page = client.get("/").content.decode()
        assert 'href="/insights/"' not in page
        assert "/insights/?org=" not in page


def test_it_costs_the_same_queries_for_3_and_30_cohorts(
    client_for, world, django_assert_max_num_queries
):
    build_past(world, "Second past cohort")
    rollups_refresh()
    client = client_for(world.manager)
    client.get(URL)
    with django_assert_max_num_queries(15) as few:
        assert client.get(URL).status_code == 200
    with django_assert_max_num_queries(15) as few_csv:
        b"".join(client.get("/insights/cohorts.csv").streaming_content)

    build_cohorts(world, 27)
    for n in range(3):
        build_past(world, f"More past {n}")
    rollups_refresh()
    assert CohortRollup.objects.count() == 34
    with django_assert_max_num_queries(len(few)):
        response = client.get(URL, {"sort": "name"})
    assert len(row_names(response)) == 25
    with django_assert_max_num_queries(len(few_csv)):
        b"".join(client.get("/insights/cohorts.csv").streaming_content)


def test_it_exports_a_cohort_name_that_looks_like_a_formula_as_text(client_for, world, past):
    past.cohort.name = "@SUM(A1:A9)"
    past.cohort.save(update_fields=["name"])
    rollups_refresh()
    response = client_for(world.manager).get("/insights/cohorts.csv", {"phase": "after"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[1][0] == "'@SUM(A1:A9)"
    # Numbers are never touched: they are not formulas.
    assert rows[1][4] == "4"
