import io
from datetime import timedelta

import pytest
from django.core.management import call_command

from cohorts.models import Phase
from insights.models import CohortRollup, RetentionPoint
from insights.rollups import rollups_refresh
from socialtraining import clock
from socialtraining.settings import CELERY_BEAT_SCHEDULE
from tests.insights.conftest import build_cohorts

pytestmark = pytest.mark.django_db


def test_it_computes_every_metric_of_the_hand_built_cohort(world, past):
    rollups_refresh(organization=world.organization)

    rollup = CohortRollup.objects.get(cohort=past.cohort)
    assert rollup.organization_id == world.organization.pk
    assert rollup.phase == Phase.AFTER
    assert rollup.last_session_end == past.last_end
    assert rollup.participants == 4
    assert rollup.active_participants == 2
    assert rollup.participation_percent == 50.0
    assert rollup.participant_posts == 2
    assert rollup.posts_per_participant == 0.5
    # Three opened rounds for four participants; three NPS and three knowledge submissions.
    assert rollup.survey_invitations == 12
    assert rollup.survey_responses == 6
    assert rollup.response_rate_percent == 50.0
    # Promoters 10 and 9, detractor 6 (the draft's 0 does not count): (2 - 1) / 3.
    assert rollup.nps_answers == 3
    assert rollup.nps == 33
    # Right after: 7 of 10; week 4: round 3 of 5 plus sparks 1 of 2, so 4 of 7.
    assert rollup.knowledge_after_percent == 70.0
    assert rollup.knowledge_latest_percent == 57.1
    assert rollup.knowledge_latest_week == 4
    assert rollup.retained_percent == 81.6
    # Sent: ann, bob, cat (dan's cancelled and unsent asks do not count); answered: ann, bob.
    assert rollup.sparks_sent == 3
    assert rollup.sparks_answered == 2
    assert rollup.spark_answer_rate_percent == 66.7


def test_it_stores_the_retention_points_by_week_since_the_workshop(world, past):
    rollups_refresh()

    points = RetentionPoint.objects.filter(cohort=past.cohort)
    assert [(p.week, p.points, p.possible, p.percent) for p in points] == [
        (0, 7, 10, 70.0),
        (4, 4, 7, 57.1),
    ]


def test_it_counts_only_first_asks_of_a_spark_in_the_retention_points(world, past):
    from sparks.models import Delivery, SparkAnswer

    bob = past.participants[1]
    first = Delivery.objects.get(participant=bob, attempt=1)
    # Bob's repeat of the question he got wrong, right this time: practice, not retention.
    repeat = Delivery.objects.create(
        spark=first.spark, participant=bob, attempt=2, sent_at=first.sent_at
    )
    SparkAnswer.objects.create(delivery=repeat, is_correct=True, created_at=first.sent_at)
    rollups_refresh()

    week_4 = RetentionPoint.objects.get(cohort=past.cohort, week=4)
    assert (week_4.points, week_4.possible) == (4, 7)


def test_it_leaves_empty_cohorts_without_percentages(world):
    assert rollups_refresh(organization=world.organization) == 2

    rollup = CohortRollup.objects.get(cohort=world.other_cohort)
    assert rollup.phase == Phase.NOT_SCHEDULED
    assert rollup.participants == 1
    assert rollup.active_participants == 0
    assert rollup.participation_percent == 0.0
    assert rollup.response_rate_percent is None
    assert rollup.nps is None
    assert rollup.knowledge_after_percent is None
    assert rollup.spark_answer_rate_percent is None
    assert CohortRollup.objects.get(cohort=world.cohort).phase == Phase.BEFORE


def test_it_refreshes_only_the_organisation_asked_for(world):
    rollups_refresh(organization=world.other_organization)

    assert list(CohortRollup.objects.values_list("cohort_id", flat=True)) == [
        world.outsider_cohort.pk
    ]


def test_it_is_idempotent(world, past):
    assert rollups_refresh() == 4
    first = {r.pk: (r.participants, r.nps, r.retained_percent) for r in CohortRollup.objects.all()}
    first_points = list(RetentionPoint.objects.values_list("cohort_id", "week", "points"))

    assert rollups_refresh() == 4

    again = {r.pk: (r.participants, r.nps, r.retained_percent) for r in CohortRollup.objects.all()}
    assert again == first
    assert list(RetentionPoint.objects.values_list("cohort_id", "week", "points")) == first_points
    assert CohortRollup.objects.count() == 4


def test_it_updates_a_stale_rollup_with_new_activity(world, past):
    rollups_refresh()
    CohortRollup.objects.filter(cohort=past.cohort).update(
        refreshed_at=clock.now() - timedelta(hours=2)
    )
    dan = past.participants[3]
    thread = past.cohort.threads.get()
    thread.posts.create(author=dan, kind="reply", body="Back from holiday")

    rollups_refresh()

    rollup = CohortRollup.objects.get(cohort=past.cohort)
    assert (rollup.active_participants, rollup.participant_posts) == (3, 3)
    assert clock.now() - rollup.refreshed_at < timedelta(minutes=1)


def test_it_costs_the_same_queries_for_3_and_30_cohorts(world, django_assert_num_queries):
    build_cohorts(world, 3, prefix="Few")
    rollups_refresh()
    with django_assert_num_queries(14) as few:
        rollups_refresh()
    build_cohorts(world, 27, prefix="Many")
    with django_assert_num_queries(len(few)):
        rollups_refresh()
    assert CohortRollup.objects.count() == 33


def test_it_is_refreshed_by_beat_at_least_every_15_minutes():
    entry = CELERY_BEAT_SCHEDULE["refresh-insights-rollups"]
    assert entry["task"] == "insights.tasks.refresh_rollups"
    assert entry["schedule"].minute == {0, 10, 20, 30, 40, 50}
    # The name beat sends must be a task the workers know, or nothing is ever refreshed.
    from socialtraining.celery import app

    app.loader.import_default_modules()
    assert entry["task"] in app.tasks


def test_it_refreshes_from_the_command_line(world, past):
    out = io.StringIO()

    call_command("refresh_insights", organization="acme", stdout=out)

    assert out.getvalue() == "Refreshed the insights of 3 cohorts.\n"
    assert set(CohortRollup.objects.values_list("cohort_id", flat=True)) == {
        world.cohort.pk,
        world.other_cohort.pk,
        past.cohort.pk,
    }


def test_it_counts_an_anonymous_survey_only_from_five_answers(world):
    from surveys.models import Answer, Question, QuestionKind
    from tests.insights import cohort_builders as builders

    end = builders.workshop_ended(world.cohort, days_ago=20)
    round_ = builders.knowledge_round(
        world.cohort,
        label="Right after",
        opens_at=end + timedelta(hours=1),
        scores=[(world.participant, 1, 5)],
        anonymous=True,
    )
    nps = Question.objects.create(survey=round_.survey, kind=QuestionKind.NPS, text="Recommend?")
    Answer.objects.create(response=round_.responses.get(), question=nps, number=2)
    rollups_refresh(organization=world.organization)

    rollup = CohortRollup.objects.get(cohort=world.cohort)
    assert rollup.knowledge_after_percent is None
    assert (rollup.nps_answers, rollup.nps) == (0, None)
    assert not RetentionPoint.objects.filter(cohort=world.cohort).exists()
