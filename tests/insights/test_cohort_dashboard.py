"""The cohort dashboard page and its CSVs, through the test client."""

import csv
import io
from datetime import timedelta

import pytest

from discussions.models import PostKind, Thread
from socialtraining import clock
from surveys.models import Purpose, QuestionKind, Survey
from tests.insights import cohort_builders as b


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def _activity(world, people, *, days_ago_ended=60):
    """Each person posts, reacts, answers a spark and two knowledge checks."""
    now = clock.now()
    end = b.workshop_ended(world.cohort, days_ago=days_ago_ended, now=now)
    thread = Thread.objects.create(cohort=world.cohort, title="Share", kind=PostKind.ARTICLE)
    posts = [b.post(thread, person, at=end + timedelta(days=2)) for person in people]
    for person, post in zip(people, reversed(posts), strict=True):
        b.react(post, person, at=end + timedelta(days=3))
    b.spark_with_answers(
        world.cohort,
        offset_days=14,
        answers=[(p, i % 3 != 0) for i, p in enumerate(people)],
        at=end + timedelta(days=14),
    )
    b.knowledge_round(
        world.cohort,
        label="Right after",
        opens_at=end + timedelta(hours=1),
        scores=[(p, 4, 5) for p in people],
    )
    b.knowledge_round(
        world.cohort,
        label="+30 days",
        opens_at=end + timedelta(days=30),
        scores=[(p, 3, 5) for p in people],
    )
    return end


def test_it_shows_the_dashboard_to_the_cohorts_instructor(world, client_for):
    _activity(world, [world.participant, world.groupmate])
    response = client_for(world.instructor).get(f"/cohorts/{world.cohort.pk}/insights/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cohort insights" in html
    assert "live figures as of" in html
    for chart_id in ("retention", "knowledge", "channels", "groups", "sparks"):
        assert f'id="chart-{chart_id}"' in html
        assert f"/cohorts/{world.cohort.pk}/insights/charts/{chart_id}.csv" in html
    assert f"/cohorts/{world.cohort.pk}/insights/participants.csv" in html


def test_it_links_the_dashboard_from_the_cohort_page_for_those_who_may_see_it(world, client_for):
    url = f"/cohorts/{world.cohort.pk}/insights/"
    assert url in client_for(world.manager).get(f"/cohorts/{world.cohort.pk}/").content.decode()
    assert (
        url
        not in client_for(world.participant).get(f"/cohorts/{world.cohort.pk}/").content.decode()
    )


def test_it_serves_the_retention_chart_as_csv(world, client_for):
    _activity(world, [world.participant, world.groupmate, world.other_group_participant])
    response = client_for(world.manager).get(
        f"/cohorts/{world.cohort.pk}/insights/charts/retention.csv"
    )
    assert response.status_code == 200
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="feedback-that-lands-retention.csv"'
    )
    rows = _csv(response)
    assert rows[0][:2] == ["Weeks since the workshop", "This cohort"]
    # Week 0: 12 of 15; week 2: two of three sparks right; week 4: 9 of 15.
    assert [row[:2] for row in rows[1:]] == [
        ["Week 0 (15 answers)", "80.0"],
        ["Week 1", ""],
        ["Week 2 (3 answers)", "66.7"],
        ["Week 3", ""],
        ["Week 4 (15 answers)", "60.0"],
    ]


def test_it_refuses_an_unknown_chart(world, client_for):
    response = client_for(world.manager).get(f"/cohorts/{world.cohort.pk}/insights/charts/nope.csv")
    assert response.status_code == 404


def test_it_serves_participant_activity_as_csv(world, client_for):
    _activity(world, [world.participant, world.groupmate])
    response = client_for(world.manager).get(
        f"/cohorts/{world.cohort.pk}/insights/participants.csv"
    )
    rows = _csv(response)
    assert rows[0] == [
        "Name",
        "Email",
        "Study group",
        "Posts",
        "Replies",
        "Reactions",
        "Sparks answered",
        "Sparks missed",
        "Surveys submitted",
        "Surveys missed",
        "Last active",
        "Last nudged",
    ]
    by_email = {row[1]: row for row in rows[1:]}
    assert set(by_email) == {
        "participant@example.test",
        "groupmate@example.test",
        "green@example.test",
    }
    # A reply of their own, a spark answer (also a reply), one reaction, two surveys.
    assert by_email["participant@example.test"][2:10] == ["Blue", "0", "2", "1", "1", "0", "2", "0"]
    assert by_email["green@example.test"][2:11] == ["Green", "0", "0", "0", "0", "0", "0", "2", ""]


def test_it_lists_people_at_risk_for_the_chosen_number_of_days(world, client_for):
    _activity(world, [world.participant, world.groupmate])
    client = client_for(world.manager)
    html = client.get(f"/cohorts/{world.cohort.pk}/insights/").content.decode()
    section = html.split('id="at-risk"')[1].split("</section>")[0]
    # The +30 round (answered 29 days and 22 hours ago) was their last activity; green did nothing.
    assert section.count('type="checkbox"') == 3
    assert "no activity yet" in section
    assert "no activity for 29 days" in section
    html = client.get(f"/cohorts/{world.cohort.pk}/insights/?days=31").content.decode()
    section = html.split('id="at-risk"')[1].split("</section>")[0]
    assert section.count('type="checkbox"') == 1
    html = client.get(f"/cohorts/{world.cohort.pk}/insights/?days=0").content.decode()
    assert "Ensure this value is greater than or equal to 1." in html


@pytest.mark.parametrize("size", [5, 40])
def test_it_costs_the_same_queries_for_small_and_large_cohorts(
    size, world, client_for, django_assert_max_num_queries
):
    people = b.participants(world.cohort, world.organization, size, group=world.group)
    _activity(world, people)
    client = client_for(world.manager)
    with django_assert_max_num_queries(17):
        response = client.get(f"/cohorts/{world.cohort.pk}/insights/")
    assert response.content.decode().count("/insights/people/") >= size
    for chart_id in ("retention", "knowledge", "channels", "groups", "sparks"):
        with django_assert_max_num_queries(15):
            response = client.get(f"/cohorts/{world.cohort.pk}/insights/charts/{chart_id}.csv")
            assert len(_csv(response)) > 1
    with django_assert_max_num_queries(15):
        response = client.get(f"/cohorts/{world.cohort.pk}/insights/participants.csv")
        assert len(_csv(response)) == size + 4


def test_it_pages_the_participant_table(world, client_for):
    b.participants(world.cohort, world.organization, 52)
    client = client_for(world.manager)

    def table(page: int) -> str:
        html = client.get(f"/cohorts/{world.cohort.pk}/insights/?page={page}").content.decode()
        return html.split('id="participants-heading"')[1]

    assert table(1).count('<th scope="row">') == 50
    assert "Page 1 of 2" in table(1)
    assert table(2).count('<th scope="row">') == 5


def test_it_counts_people_who_report_applying_it(world, client_for):
    end = b.workshop_ended(world.cohort, days_ago=60)
    p, g, o = world.participant, world.groupmate, world.other_group_participant
    for text, numbers in (
        ("I use open questions.", [(p, 5), (g, 2), (o, 4)]),
        ("I close with a next step.", [(p, 3), (g, 1), (o, 5)]),
    ):
        b.scale_answers(
            world.cohort,
            purpose=Purpose.BEHAVIOUR,
            kind=QuestionKind.LIKERT,
            text=text,
            numbers=numbers,
            at=end + timedelta(days=40),
        )
    html = client_for(world.manager).get(f"/cohorts/{world.cohort.pk}/insights/").content.decode()
    assert (
        "<strong>66.7%</strong> report applying it: 2 of the 3 people who answered a "
        "behaviour survey agree (4 or 5 of 5) that they do." in html
    )
    assert "I use open questions.: 66.7% of 3 answers agree" in html
    assert "I close with a next step.: 33.3% of 3 answers agree" in html


def test_it_hides_level_three_below_the_anonymous_minimum(world, client_for):
    end = b.workshop_ended(world.cohort, days_ago=60)
    round_ = b.scale_answers(
        world.cohort,
        purpose=Purpose.BEHAVIOUR,
        kind=QuestionKind.LIKERT,
        text="I use open questions.",
        numbers=[(world.participant, 5), (world.groupmate, 2)],
        at=end + timedelta(days=40),
    )
    Survey.objects.filter(pk=round_.survey_id).update(anonymous=True)
    html = client_for(world.manager).get(f"/cohorts/{world.cohort.pk}/insights/").content.decode()
    assert "Fewer than 5 people answered the anonymous behaviour survey" in html
    assert "report applying it" not in html
    assert "I use open questions." not in html


def test_it_exports_participant_names_and_spark_labels_without_formulas(world, client_for):
    world.participant.display_name = "-2+3 cmd|' /C calc'!A0"
    world.participant.save(update_fields=["display_name"])
    _activity(world, [world.participant, world.groupmate])
    client = client_for(world.manager)
    people = _csv(client.get(f"/cohorts/{world.cohort.pk}/insights/participants.csv"))
    assert "'-2+3 cmd|' /C calc'!A0" in [row[0] for row in people]
    sparks = _csv(client.get(f"/cohorts/{world.cohort.pk}/insights/charts/sparks.csv"))
    # The chart's own labels read "14 days after: …", not "+14 days", which Excel would compute.
    assert sparks[1][0].startswith("14 days after: ")
    cells = [cell for rows in (people, sparks) for row in rows for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
