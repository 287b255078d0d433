"""A small hand-built world whose every dashboard number is known in advance.

`past` is a cohort of `world.organization` whose workshop ended 40 days ago, with four
participants (ann, bob, cat, dan) and an instructor:

- activity in the last 14 days: ann posted a reply, bob reacted; cat posted 20 days ago; dan did
  nothing; ann's removed post and the instructor's post do not count as participant posts;
- a reaction survey (one closed round, NPS answers 10, 6, 9, dan left a draft) and a knowledge
  check right after the workshop (ann 4/5, bob 3/5) and at +29 days (ann 3/5);
- a knowledge spark answered 30 days after the workshop (ann right, bob wrong), missed by cat,
  cancelled for dan, and a second ask to dan not sent yet.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from accounts.models import Role
from cohorts.models import Cohort, CohortRole
from discussions.models import Post, Reaction, ReadMarker, Thread
from socialtraining import clock
from sparks.models import Delivery, DeliveryOutcome, Spark, SparkAnswer, SparkKind
from surveys.models import (
    Answer,
    Purpose,
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
    Round,
    RoundStatus,
    Survey,
)
from tests import factories as f


@dataclass
class Past:
    cohort: Cohort
    last_end: datetime
    participants: list


def participant_in(cohort: Cohort, email: str):
    user = f.UserFactory(email=email)
    f.MembershipFactory(organization=cohort.organization, user=user, role=Role.PARTICIPANT)
    f.EnrolmentFactory(cohort=cohort, user=user)
    return user


def knowledge_round(cohort, survey, opens_at, scores: dict) -> Round:
    round_ = Round.objects.create(
        survey=survey,
        cohort=cohort,
        label="check",
        opens_at=opens_at,
        closes_at=opens_at + timedelta(days=7),
        status=RoundStatus.CLOSED,
    )
    for person, (score, max_score) in scores.items():
        Response.objects.create(
            round=round_,
            participant=person,
            status=ResponseStatus.SUBMITTED,
            submitted_at=opens_at + timedelta(hours=2),
            score=score,
            max_score=max_score,
        )
    return round_


def build_past(world, name: str = "Past cohort") -> Past:
    now = clock.now()
    cohort = f.CohortFactory(organization=world.organization, name=name, follow_up_days=90)
    starts = now - timedelta(days=40, hours=6)
    f.WorkshopSessionFactory(cohort=cohort, starts_at=starts, ends_at=starts + timedelta(hours=6))
    last_end = starts + timedelta(hours=6)
    f.EnrolmentFactory(cohort=cohort, user=world.instructor, role=CohortRole.INSTRUCTOR)
    slug = cohort.pk
    ann, bob, cat, dan = (
        participant_in(cohort, f"{n}{slug}@example.test") for n in ("ann", "bob", "cat", "dan")
    )

    thread = Thread.objects.create(cohort=cohort, author=world.instructor, title="Welcome")
    Post.objects.create(
        thread=thread,
        author=world.instructor,
        kind="discussion",
        is_opening=True,
        body="Hello",
        created_at=now - timedelta(days=1),
    )
    Post.objects.create(
        thread=thread, author=ann, kind="reply", body="Hi", created_at=now - timedelta(days=2)
    )
    Post.objects.create(
        thread=thread,
        author=ann,
        kind="reply",
        body="Oops",
        created_at=now - timedelta(days=2),
        removed_at=now - timedelta(days=2),
    )
    old = Post.objects.create(
        thread=thread, author=cat, kind="reply", body="Old", created_at=now - timedelta(days=20)
    )
    Reaction.objects.create(post=old, user=bob, kind="like", created_at=now - timedelta(days=3))
    ReadMarker.objects.create(thread=thread, user=cat, read_at=now - timedelta(days=20))

    reaction = Survey.objects.create(cohort=cohort, title="How was it?", purpose=Purpose.REACTION)
    nps = Question.objects.create(survey=reaction, kind=QuestionKind.NPS, text="Recommend?")
    opens = last_end + timedelta(days=1)
    pulse = Round.objects.create(
        survey=reaction,
        cohort=cohort,
        label="Right after",
        opens_at=opens,
        closes_at=opens + timedelta(days=7),
        status=RoundStatus.CLOSED,
    )
    for person, number in ((ann, 10), (bob, 6), (cat, 9)):
        response = Response.objects.create(
            round=pulse,
            participant=person,
            status=ResponseStatus.SUBMITTED,
            submitted_at=opens + timedelta(hours=1),
        )
        Answer.objects.create(response=response, question=nps, number=number)
    draft = Response.objects.create(round=pulse, participant=dan, status=ResponseStatus.DRAFT)
    Answer.objects.create(response=draft, question=nps, number=0)

    check = Survey.objects.create(cohort=cohort, title="Check", purpose=Purpose.KNOWLEDGE)
    knowledge_round(cohort, check, last_end + timedelta(hours=1), {ann: (4, 5), bob: (3, 5)})
    knowledge_round(cohort, check, last_end + timedelta(days=29), {ann: (3, 5)})

    spark = Spark.objects.create(
        cohort=cohort, kind=SparkKind.KNOWLEDGE, question="Which?", offset_days=30
    )
    answered_at = last_end + timedelta(days=30)
    for person, outcome, correct in (
        (ann, DeliveryOutcome.ANSWERED, True),
        (bob, DeliveryOutcome.ANSWERED, False),
        (cat, DeliveryOutcome.MISSED, None),
        (dan, DeliveryOutcome.CANCELLED, None),
    ):
        delivery = Delivery.objects.create(
            spark=spark, participant=person, sent_at=answered_at, outcome=outcome
        )
        if correct is not None:
            SparkAnswer.objects.create(
                delivery=delivery, is_correct=correct, created_at=answered_at
            )
    Delivery.objects.create(spark=spark, participant=dan, attempt=2)
    return Past(cohort=cohort, last_end=last_end, participants=[ann, bob, cat, dan])


@pytest.fixture
def past(world) -> Past:
    return build_past(world)


def build_cohorts(world, count: int, prefix: str = "Cohort") -> list[Cohort]:
    """`count` more cohorts, each with a past workshop, three participants and some activity."""
    cohorts = []
    for i in range(count):
        cohort = f.CohortFactory(organization=world.organization, name=f"{prefix} {i:02d}")
        starts = clock.now() - timedelta(days=10 + i)
        f.WorkshopSessionFactory(
            cohort=cohort, starts_at=starts, ends_at=starts + timedelta(hours=3)
        )
        f.EnrolmentFactory(cohort=cohort, user=world.instructor, role=CohortRole.INSTRUCTOR)
        thread = Thread.objects.create(cohort=cohort, author=world.instructor, title="Hi")
        for n in range(3):
            person = participant_in(cohort, f"{prefix.lower()}{i}-{n}@example.test")
            Post.objects.create(thread=thread, author=person, kind="reply", body="Hi")
        cohorts.append(cohort)
    return cohorts
