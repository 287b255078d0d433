"""A participant's own page: their posts, spark answers and survey scores over time."""

from datetime import timedelta

import pytest

from cohorts.models import Enrolment
from discussions.models import Post, PostKind, Thread
from socialtraining import clock
from tests.insights import cohort_builders as b


def _url(world, user) -> str:
    enrolment = Enrolment.objects.get(cohort=world.cohort, user=user)
    return f"/cohorts/{world.cohort.pk}/insights/people/{enrolment.pk}/"


def _history(world, person, *, posts: int = 1):
    end = b.workshop_ended(world.cohort, days_ago=40)
    thread = Thread.objects.create(
        cohort=world.cohort, title="Feedback models", kind=PostKind.QUESTION
    )
    for n in range(posts):
        b.post(thread, person, at=end + timedelta(days=1, minutes=n))
    b.spark_with_answers(
        world.cohort, offset_days=7, answers=[(person, True)], at=end + timedelta(days=7)
    )
    b.spark_with_answers(
        world.cohort, offset_days=21, answers=[(person, False)], at=end + timedelta(days=21)
    )
    b.knowledge_round(
        world.cohort,
        label="Right after",
        opens_at=end + timedelta(hours=1),
        scores=[(person, 4, 5)],
    )
    b.knowledge_round(
        world.cohort, label="+30 days", opens_at=end + timedelta(days=30), scores=[(person, 3, 5)]
    )
    return end


def test_it_shows_a_participants_timeline_and_scores(world, client_for):
    _history(world, world.participant)
    # Someone else's activity stays off this page.
    b.knowledge_round(
        world.cohort, label="Other", opens_at=clock.now(), scores=[(world.groupmate, 1, 5)]
    )
    response = client_for(world.instructor).get(_url(world, world.participant))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{world.participant.name}</h1>" in html
    assert "Reply in “Feedback models”" in html
    assert "Answered the spark “Spark at +7 days”" in html
    assert html.count("<strong>correct</strong>") == 1
    assert html.count("<strong>not correct</strong>") == 1
    assert "Submitted Knowledge check · Right after" in html
    assert "score 80.0%" in html and "score 60.0%" in html
    assert "Other" not in html.split('id="chart-scores"')[1].split("</figure>")[0]
    scores = response.context["timeline"].scores
    assert scores.series[0].values == [80.0, 100.0, 0.0, 60.0]
    # The order on the page: newest first.
    timeline = html.split('id="timeline-heading"')[1]
    assert (
        timeline.index("+30 days")
        < timeline.index("Spark at +21 days")
        < timeline.index("Spark at +7 days")
        < timeline.index("Reply in “Feedback models”")
        < timeline.index("Right after")
    )


def test_it_shows_posts_as_text_without_markdown_or_mention_syntax(world, client_for):
    _history(world, world.participant)
    Post.objects.filter(thread__title="Feedback models", author=world.participant).update(
        body="**My answer:** ask @[Grace Hopper] _first_"
    )
    html = client_for(world.manager).get(_url(world, world.participant)).content.decode()
    assert "My answer: ask @Grace Hopper first" in html
    assert "**" not in html and "@[" not in html


def test_it_never_shows_a_response_to_an_anonymous_survey(world, client_for):
    _history(world, world.participant)
    b.knowledge_round(
        world.cohort,
        label="Honest check",
        opens_at=clock.now() - timedelta(days=2),
        scores=[(world.participant, 1, 5)],
        anonymous=True,
    )
    html = client_for(world.instructor).get(_url(world, world.participant)).content.decode()
    assert "Honest check" not in html
    assert "score 20.0%" not in html


def test_it_serves_the_scores_as_csv(world, client_for):
    _history(world, world.participant)
    response = client_for(world.instructor).get(_url(world, world.participant) + "scores.csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = body.splitlines()
    assert lines[0] == "When,Score"
    assert [line.rsplit(",", 1)[1] for line in lines[1:]] == ["80.0", "100.0", "0.0", "60.0"]
    assert "Spark: Spark at +7 days" in lines[2]


def test_it_is_one_click_from_the_dashboard(world, client_for):
    html = client_for(world.manager).get(f"/cohorts/{world.cohort.pk}/insights/").content.decode()
    assert _url(world, world.participant) in html


def test_it_is_not_a_page_for_an_instructor(world, client_for):
    response = client_for(world.manager).get(_url(world, world.instructor))
    assert response.status_code == 404


def test_it_is_not_found_for_a_participant_of_another_cohort(world, client_for):
    enrolment = Enrolment.objects.get(user=world.other_cohort_participant)
    response = client_for(world.manager).get(
        f"/cohorts/{world.cohort.pk}/insights/people/{enrolment.pk}/"
    )
    assert response.status_code == 404


@pytest.mark.parametrize("posts", [2, 60])
def test_it_costs_the_same_queries_whatever_they_did(
    posts, world, client_for, django_assert_max_num_queries
):
    _history(world, world.participant, posts=posts)
    client = client_for(world.manager)
    with django_assert_max_num_queries(12):
        response = client.get(_url(world, world.participant))
    assert response.content.decode().count("Reply in “Feedback models”") == posts
    with django_assert_max_num_queries(12):
        response = client.get(_url(world, world.participant) + "scores.csv")
        assert len(b"".join(response.streaming_content).decode().splitlines()) == 5
