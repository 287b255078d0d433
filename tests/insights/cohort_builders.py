"""Rows for the cohort dashboard's tests: a workshop in the past and what people did since."""

from __future__ import annotations

from datetime import datetime, timedelta

from cohorts.models import Cohort, Enrolment, StudyGroup, WorkshopSession
from discussions.models import Post, PostKind, Reaction, Thread
from socialtraining import clock
from sparks.models import Delivery, DeliveryOutcome, Spark, SparkAnswer, SparkKind, SparkThread
from surveys.models import (
    Answer,
    Purpose,
    Question,
    Response,
    ResponseStatus,
    Round,
    RoundStatus,
    Survey,
)
from tests import factories


def workshop_ended(cohort: Cohort, *, days_ago: int, now: datetime | None = None) -> datetime:
    """Give the cohort one workshop day that ended `days_ago` days ago; enrol everyone before."""
    now = now or clock.now()
    end = now - timedelta(days=days_ago)
    WorkshopSession.objects.filter(cohort=cohort).delete()
    WorkshopSession.objects.create(cohort=cohort, starts_at=end - timedelta(hours=6), ends_at=end)
    Enrolment.objects.filter(cohort=cohort).update(created_at=end - timedelta(days=30))
    return end


def knowledge_round(
    cohort: Cohort, *, label: str, opens_at: datetime, scores: list[tuple], anonymous=False
) -> Round:
    """A closed knowledge check with one submitted response per (person, score, out of)."""
    survey = Survey.objects.create(
        cohort=cohort, title="Knowledge check", purpose=Purpose.KNOWLEDGE, anonymous=anonymous
    )
    round_ = Round.objects.create(
        survey=survey,
        cohort=cohort,
        label=label,
        opens_at=opens_at,
        closes_at=opens_at + timedelta(days=7),
        status=RoundStatus.CLOSED,
    )
    for person, score, out_of in scores:
        Response.objects.create(
            round=round_,
            participant=person,
            status=ResponseStatus.SUBMITTED,
            submitted_at=opens_at + timedelta(hours=2),
            score=score,
            max_score=out_of,
        )
    return round_


def scale_answers(
    cohort: Cohort, *, purpose: str, kind: str, text: str, numbers: list[tuple], at: datetime
) -> Round:
    """A closed round of one Likert or NPS question answered (person, number)."""
    survey = Survey.objects.create(cohort=cohort, title=text[:50], purpose=purpose)
    question = Question.objects.create(survey=survey, kind=kind, text=text)
    round_ = Round.objects.create(
        survey=survey,
        cohort=cohort,
        label="After",
        opens_at=at,
        closes_at=at + timedelta(days=7),
        status=RoundStatus.CLOSED,
    )
    for person, number in numbers:
        response = Response.objects.create(
            round=round_, participant=person, status=ResponseStatus.SUBMITTED, submitted_at=at
        )
        Answer.objects.create(response=response, question=question, number=number)
    return round_


def spark_with_answers(
    cohort: Cohort,
    *,
    offset_days: int,
    answers: list[tuple],
    missed: list = (),
    waiting: list = (),
    kind: str = SparkKind.KNOWLEDGE,
    at: datetime,
    group: StudyGroup | None = None,
) -> tuple[Spark, Thread]:
    """A spark delivered to everyone named; (person, is_correct) answered into its thread."""
    spark = Spark.objects.create(
        cohort=cohort, kind=kind, question=f"Spark at +{offset_days} days", offset_days=offset_days
    )
    thread = Thread.objects.create(
        cohort=cohort, study_group=group, title=spark.question, kind=PostKind.QUESTION
    )
    SparkThread.objects.create(spark=spark, study_group=group, thread=thread)
    for person, is_correct in answers:
        delivery = Delivery.objects.create(
            spark=spark,
            participant=person,
            due_at=at,
            sent_at=at,
            outcome=DeliveryOutcome.ANSWERED,
        )
        post = Post.objects.create(
            thread=thread, author=person, kind=PostKind.REPLY, body="My answer", created_at=at
        )
        SparkAnswer.objects.create(
            delivery=delivery,
            is_correct=is_correct if kind == SparkKind.KNOWLEDGE else None,
            post=post,
            created_at=at,
        )
    for person in missed:
        Delivery.objects.create(
            spark=spark, participant=person, due_at=at, sent_at=at, outcome=DeliveryOutcome.MISSED
        )
    for person in waiting:
        Delivery.objects.create(spark=spark, participant=person, due_at=at + timedelta(days=1))
    return spark, thread


def post(thread: Thread, author, *, kind: str = PostKind.REPLY, at: datetime) -> Post:
    return Post.objects.create(thread=thread, author=author, kind=kind, body="Text", created_at=at)


def react(post_: Post, user, *, at: datetime) -> Reaction:
    return Reaction.objects.create(post=post_, user=user, kind="like", created_at=at)


def participants(cohort: Cohort, organization, count: int, group: StudyGroup | None = None):
    people = []
    for _ in range(count):
        person = factories.UserFactory()
        factories.MembershipFactory(organization=organization, user=person)
        factories.EnrolmentFactory(cohort=cohort, user=person, study_group=group)
        people.append(person)
    return people
