"""Demo sparks: a consistent two-month history for one cohort, sparks ahead for another."""

from datetime import time, timedelta

import pytest
from django.conf import settings
from django.db.models import Count, Q

from accounts.models import User
from cohorts.timeline import local_moment
from discussions.models import Post
from notifications.models import OutboxMessage, OutboxTemplate
from notifications.scheduling import DueStatus
from socialtraining import clock
from sparks.answering import REPEAT_SOON_DAYS
from sparks.models import Delivery, DeliveryOutcome, SparkAnswer, SparkThread
from sparks.planning import schedule_for


@pytest.fixture
def coaching(demo, db):
    return demo.cohorts.get(name="Coaching conversations")


def test_it_replays_answered_missed_repeated_and_mastered_sparks(coaching):
    asks = Delivery.objects.filter(spark__cohort=coaching)
    answers = SparkAnswer.objects.filter(delivery__spark__cohort=coaching)
    assert answers.filter(is_correct=True).exists()
    assert answers.filter(is_correct=False).exists()
    assert answers.filter(is_correct=None, text__gt="").exists()
    missed = asks.filter(outcome=DeliveryOutcome.MISSED)
    assert missed.exists()
    assert not missed.filter(reminded_at__isnull=True).exists()
    assert asks.filter(attempt__gt=1, outcome=DeliveryOutcome.ANSWERED).exists()
    mastered = (
        answers.filter(is_correct=True)
        .filter(Q(confidence__isnull=True) | Q(confidence__gt=2))
        .values("delivery__spark", "delivery__participant")
        .annotate(good=Count("pk"))
        .filter(good__gte=2)
    )
    assert mastered.exists()
    # A mastered spark is not asked again of that person.
    for row in mastered:
        latest = asks.filter(
            spark=row["delivery__spark"], participant=row["delivery__participant"]
        ).latest("attempt")
        assert latest.outcome == DeliveryOutcome.ANSWERED


def test_it_keeps_the_history_consistent_with_the_rules(coaching):
    cohort = type(coaching).objects.with_schedule().get(pk=coaching.pk)
    schedule = schedule_for(cohort)
    now = clock.now()
    sent = Delivery.objects.filter(spark__cohort=cohort, sent_at__isnull=False)
    assert sent.count() > 50
    for ask in sent.select_related("spark"):
        local = ask.sent_at.astimezone(cohort.tz)
        assert local.isoweekday() in schedule.allowed_weekdays
        assert schedule.window_start <= local.time() < schedule.window_end
        assert ask.sent_at < now
        if ask.attempt == 1:
            day = cohort.last_end.astimezone(cohort.tz).date()
            assert local.date() >= day + timedelta(days=ask.spark.offset_days)
        if ask.outcome == DeliveryOutcome.ANSWERED:
            assert (
                ask.sent_at
                < ask.answer.created_at
                <= ask.sent_at + timedelta(days=settings.SPARK_EXPIRE_AFTER_DAYS)
            )
    for repeat in Delivery.objects.filter(spark__cohort=cohort, attempt__gt=1):
        before = Delivery.objects.get(
            spark=repeat.spark, participant=repeat.participant, attempt=repeat.attempt - 1
        )
        assert before.closed_at is not None
        assert repeat.due_at >= before.closed_at + timedelta(days=REPEAT_SOON_DAYS)
    # Nothing from before today is left waiting: every step due then has run.
    today = local_moment(cohort, now.astimezone(cohort.tz).date(), time(0, 0))
    assert not Delivery.objects.filter(
        spark__cohort=cohort, status=DueStatus.PENDING, due_at__lt=today
    ).exists()


def test_it_posts_answers_into_spark_threads_with_peer_comments(coaching):
    answers = SparkAnswer.objects.filter(delivery__spark__cohort=coaching).select_related(
        "post", "delivery"
    )
    threads = set(
        SparkThread.objects.filter(spark__cohort=coaching).values_list("thread", flat=True)
    )
    assert answers
    for answer in answers:
        assert answer.post.thread_id in threads
        assert answer.post.author_id == answer.delivery.participant_id
    comments = Post.objects.filter(thread__in=threads, parent__isnull=False)
    peers = comments.exclude(author__email="instructor@demo.test")
    assert peers.count() >= 5
    assert comments.filter(author__email="instructor@demo.test").exists()
    for comment in peers.select_related("parent"):
        assert comment.created_at > comment.parent.created_at
        # Post before you see replies: only someone who answered there comments.
        assert Post.objects.filter(
            thread=comment.thread, author=comment.author, parent__isnull=True
        ).exists()


def test_it_plans_sparks_ahead_for_the_cohort_that_just_finished(demo, db):
    hybrid = demo.cohorts.get(name="Leading hybrid teams")
    asks = Delivery.objects.filter(spark__cohort=hybrid)
    participants = hybrid.enrolments.filter(role="participant").count()
    ahead = asks.filter(status=DueStatus.PENDING, due_at__gt=clock.now(), sent_at__isnull=True)
    assert ahead.values("spark").distinct().count() >= 3
    assert ahead.filter(spark__offset_days=60).count() == participants
    assert not SparkAnswer.objects.filter(delivery__spark__cohort=hybrid).exists()


def test_it_seeds_without_sending_mail(demo, db):
    assert not OutboxMessage.objects.exists()
    # Nor the emails' stored bodies, which only those rows used.
    assert not OutboxTemplate.objects.exists()


def test_it_shows_the_history_on_the_instructor_timeline(coaching, client):
    instructor = User.objects.get(email="instructor@demo.test")
    client.force_login(instructor, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(f"/cohorts/{coaching.pk}/sparks/")
    assert page.status_code == 200
    assert "What do the letters of GROW stand for?" in page.text
    assert 'data-count="mastered">0<' not in page.text.split("GROW stand for?")[1][:3000]
