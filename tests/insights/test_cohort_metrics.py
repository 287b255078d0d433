"""Exact numbers on a small hand-built world: three participants, a workshop 60 days ago."""

from datetime import timedelta

import pytest

from discussions.models import PostKind, Thread
from insights.cohort.charts import channels_chart, retention_chart, sparks_chart
from insights.cohort.metrics import CohortMetrics
from insights.forgetting import ForgettingFit
from insights.rollups import rollups_refresh
from socialtraining import clock
from sparks.models import Delivery, DeliveryOutcome, Spark, SparkAnswer, SparkKind
from surveys.models import Purpose, QuestionKind
from tests.insights import cohort_builders as b


@pytest.fixture
def small_world(world, travel):
    # Weeks count calendar days in UTC: at noon, "an hour after the workshop" is the same day.
    now = travel.to(clock.now().replace(hour=12, minute=0, second=0, microsecond=0))
    end = b.workshop_ended(world.cohort, days_ago=60, now=now)
    p, g, o = world.participant, world.groupmate, world.other_group_participant
    b.knowledge_round(
        world.cohort,
        label="Before",
        opens_at=end - timedelta(days=10),
        scores=[(p, 1, 5), (g, 2, 5)],
    )
    b.knowledge_round(
        world.cohort,
        label="Right after",
        opens_at=end + timedelta(hours=1),
        scores=[(p, 5, 5), (g, 4, 5), (o, 4, 5)],
    )
    b.knowledge_round(
        world.cohort,
        label="+30 days",
        opens_at=end + timedelta(days=30),
        scores=[(p, 3, 5), (g, 4, 5)],
    )
    b.knowledge_round(
        world.cohort,
        label="+60 days",
        opens_at=end + timedelta(days=59),
        scores=[(p, 3, 5), (g, 3, 5)],
    )
    # Another cohort of the organisation (the comparison) and one of another organisation.
    other_end = b.workshop_ended(world.other_cohort, days_ago=30, now=now)
    b.knowledge_round(
        world.other_cohort,
        label="Right after",
        opens_at=other_end + timedelta(hours=1),
        scores=[(world.other_cohort_participant, 2, 4)],
    )
    outsider_end = b.workshop_ended(world.outsider_cohort, days_ago=60, now=now)
    b.knowledge_round(
        world.outsider_cohort,
        label="Right after",
        opens_at=outsider_end + timedelta(days=28),
        scores=[(world.outsider, 4, 4)],
    )
    b.scale_answers(
        world.cohort,
        purpose=Purpose.REACTION,
        kind=QuestionKind.LIKERT,
        text="The workshop was worth my time.",
        numbers=[(p, 5), (g, 4), (o, 2)],
        at=end + timedelta(days=1),
    )
    b.scale_answers(
        world.cohort,
        purpose=Purpose.REACTION,
        kind=QuestionKind.NPS,
        text="Would you recommend it?",
        numbers=[(p, 10), (g, 9), (o, 3)],
        at=end + timedelta(days=1),
    )
    b.scale_answers(
        world.cohort,
        purpose=Purpose.BEHAVIOUR,
        kind=QuestionKind.LIKERT,
        text="I have used the model at work.",
        numbers=[(p, 4), (g, 2)],
        at=end + timedelta(days=45),
    )
    _, spark_thread = b.spark_with_answers(
        world.cohort,
        offset_days=30,
        answers=[(p, True), (g, True), (o, False)],
        at=end + timedelta(days=30),
    )
    b.post(spark_thread, o, at=end + timedelta(days=31))
    b.spark_with_answers(
        world.cohort,
        offset_days=14,
        kind=SparkKind.OPEN,
        answers=[(p, None)],
        missed=[g],
        at=end + timedelta(days=14),
    )
    thread = Thread.objects.create(cohort=world.cohort, title="An article", kind=PostKind.ARTICLE)
    b.post(thread, p, kind=PostKind.ARTICLE, at=end + timedelta(days=2))
    reply = b.post(thread, g, at=end + timedelta(days=2))
    b.react(reply, p, at=end + timedelta(days=3))
    group_thread = Thread.objects.create(cohort=world.cohort, study_group=world.group, title="Blue")
    b.post(group_thread, p, kind=PostKind.DISCUSSION, at=end + timedelta(days=9))
    # The other cohorts' weeks come from the rollups, as beat keeps them.
    rollups_refresh(organization=world.organization)
    return CohortMetrics(world.cohort, now=now)


def test_it_counts_knowledge_by_week_since_the_workshop(small_world):
    knowledge = small_world.knowledge
    assert {w: (t.correct, t.asked) for w, t in knowledge.weeks.items()} == {
        0: (13, 15),
        4: (9, 13),
        8: (6, 10),
    }
    assert (knowledge.baseline.correct, knowledge.baseline.asked) == (3, 10)
    assert {w: (t.correct, t.asked) for w, t in knowledge.others.items()} == {0: (2, 4)}
    assert [(r.label, r.average_percent, r.baseline) for r in knowledge.rounds] == [
        ("Before", 30.0, True),
        ("Right after", 86.7, False),
        ("+30 days", 70.0, False),
        ("+60 days", 60.0, False),
    ]


def test_it_draws_the_retention_chart_with_its_fit_baseline_and_comparison(small_world):
    chart = retention_chart(small_world)
    assert chart.labels == [
        "Week 0 (15 answers)",
        "Week 1",
        "Week 2",
        "Week 3",
        "Week 4 (13 answers)",
        "Week 5",
        "Week 6",
        "Week 7",
        "Week 8 (10 answers)",
    ]
    series = {s.label: s for s in chart.series}
    assert series["This cohort"].values == [86.7, None, None, None, 69.2, None, None, None, 60.0]
    assert series["Before the workshop (baseline)"].values == [30.0] * 9
    assert series["Other cohorts of the organisation"].values == [50.0] + [None] * 8
    assert series["Other cohorts of the organisation"].style == "faint"
    fit = small_world.knowledge.fit
    assert isinstance(fit, ForgettingFit)
    # Three days with answers (0, 30 and 59): the curve passes through them.
    assert series["Fitted forgetting curve"].values[0] == pytest.approx(86.7, abs=0.2)
    assert fit.score_at(30) == pytest.approx(100 * 9 / 13, abs=0.2)
    assert fit.score_at(59) == pytest.approx(60.0, abs=0.2)
    assert fit.points == 3
    assert f"half-life of {fit.half_life_days:.0f} days" in chart.summary
    assert chart.summary.endswith("Before the workshop: 30%.")


def test_it_sums_levels_one_and_three(small_world):
    reactions = small_world.reactions
    [worth] = reactions.likert
    assert (worth.text, worth.answers, worth.mean, worth.agree_percent) == (
        "The workshop was worth my time.",
        3,
        3.67,
        66.7,
    )
    assert (reactions.nps, reactions.nps_answers) == (33, 3)
    [used] = reactions.behaviour
    assert (used.answers, used.agree_percent) == (2, 50.0)
    behaviour = small_world.behaviour
    assert (behaviour.respondents, behaviour.applying, behaviour.applying_percent) == (2, 1, 50.0)


def test_it_splits_posts_into_the_four_channels(small_world):
    chart = channels_chart(small_world)
    totals = {s.label: sum(s.values) for s in chart.series}
    assert totals == {
        "Research and gathering": 1,
        "Creating and developing": 0,
        "Communication and feedback": 6,
        "Collaboration and sharing": 1,
    }


def test_it_counts_sparks_and_the_replies_they_sparked(small_world):
    results = [
        (s.offset_days, s.delivered, s.answered, s.correct, s.missed, s.replies)
        for s in small_world.sparks
    ]
    assert results == [(14, 2, 1, 0, 1, 0), (30, 3, 3, 2, 0, 1)]
    labels = sparks_chart(small_world).labels
    assert labels == ["14 days after: Spark at +14 days", "30 days after: Spark at +30 days"]


def test_it_sums_each_participants_activity(small_world, world):
    rows = {
        r.user.email: (
            r.posts,
            r.replies,
            r.reactions,
            r.sparks_answered,
            r.sparks_missed,
            r.surveys_submitted,
            r.surveys_missed,
        )
        for r in small_world.participants
    }
    assert rows == {
        "participant@example.test": (2, 2, 1, 2, 0, 7, 0),
        "groupmate@example.test": (0, 2, 0, 1, 1, 7, 0),
        "green@example.test": (0, 2, 0, 1, 0, 3, 4),
    }
    last = {r.user.email: r.last_active for r in small_world.participants}
    end = small_world.workshop_end
    assert last["green@example.test"] == end + timedelta(days=31)


def test_it_finds_who_is_at_risk_from_recent_misses_most_at_risk_first(small_world, world):
    at_risk = [(r.activity.user.email, r.severity, r.reasons) for r in small_world.at_risk]
    # The spark groupmate missed 46 days ago is history in a 14-day window.
    assert at_risk == [
        (
            "green@example.test",
            "High",
            ["no activity for 29 days", "missed 2 surveys in the last 14 days"],
        )
    ]
    wide = CohortMetrics(world.cohort, now=small_world.now, quiet_days=60)
    assert [(r.activity.user.email, r.severity, r.reasons) for r in wide.at_risk] == [
        ("green@example.test", "High", ["missed 3 surveys in the last 60 days"]),
        ("groupmate@example.test", "Low", ["missed 1 spark in the last 60 days"]),
    ]


def test_it_does_not_count_rounds_before_someone_joined_as_missed(small_world, world):
    late = b.participants(world.cohort, world.organization, 1)[0]
    metrics = CohortMetrics(world.cohort, now=small_world.now)
    [row] = [r for r in metrics.participants if r.user == late]
    assert (row.surveys_submitted, row.surveys_missed, row.last_active) == (0, 0, None)
    assert [r.reasons for r in metrics.at_risk if r.activity.user == late] == [["no activity yet"]]


def test_it_counts_only_first_asks_of_knowledge_sparks_on_the_day_answered(small_world, world):
    end = small_world.workshop_end
    spark, _ = b.spark_with_answers(
        world.cohort,
        offset_days=2,
        answers=[(world.participant, False)],
        at=end + timedelta(days=9),
    )
    # A repeat, asked because the first answer was wrong, is practice, not a measure.
    repeat = Delivery.objects.create(
        spark=spark,
        participant=world.participant,
        attempt=2,
        sent_at=end + timedelta(days=12),
        outcome=DeliveryOutcome.ANSWERED,
    )
    SparkAnswer.objects.create(
        delivery=repeat, is_correct=True, created_at=end + timedelta(days=12)
    )
    metrics = CohortMetrics(world.cohort, now=small_world.now)
    # Offset 2 days, answered on day 9: week 1, wrong.
    assert (metrics.knowledge.weeks[1].correct, metrics.knowledge.weeks[1].asked) == (0, 1)


def test_it_shortens_long_spark_questions_in_the_chart(small_world, world):
    Spark.objects.filter(cohort=world.cohort, offset_days=30).update(
        question="In GROW, which stage is where you explore the options with the coachee?"
    )
    labels = sparks_chart(CohortMetrics(world.cohort, now=small_world.now)).labels
    assert labels[1] == "30 days after: In GROW, which stage is where you explo…"


def test_it_puts_a_round_in_the_same_week_as_the_rollups_do(world):
    from datetime import UTC, datetime, time

    from insights.models import RetentionPoint
    from tests.insights import cohort_builders as builders

    now = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
    end = builders.workshop_ended(world.cohort, days_ago=40, now=now.replace(hour=16))
    # Seven calendar days after the workshop's last day, but not seven times 24 hours.
    opens_at = datetime.combine(end.date() + timedelta(days=7), time(0, 30), tzinfo=UTC)
    builders.knowledge_round(
        world.cohort, label="+7 days", opens_at=opens_at, scores=[(world.participant, 3, 5)]
    )
    rollups_refresh(organization=world.organization)
    [point] = RetentionPoint.objects.filter(cohort=world.cohort)
    weeks = CohortMetrics(world.cohort, now=now).knowledge.weeks
    assert point.week == 1
    assert {w: (t.correct, t.asked) for w, t in weeks.items()} == {1: (3, 5)}
