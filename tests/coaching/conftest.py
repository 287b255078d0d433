"""A coach's people with some activity each: posts, a spark answer, knowledge checks."""

from datetime import timedelta

import pytest

from cohorts.models import Enrolment
from discussions.models import Post, Thread
from socialtraining import clock
from sparks.models import Delivery, Spark, SparkAnswer
from surveys.models import Answer, Question, Response, Round, RoundStatus, Survey
from tests import factories

OBJECTIVES = ("Describe the situation", "Name the impact")


def knowledge_check(cohort, *, anonymous: bool = False):
    """A knowledge survey with one question per objective, rounds right after and at +30."""
    survey = Survey.objects.create(
        cohort=cohort, title="Check", purpose="knowledge", anonymous=anonymous
    )
    questions = [
        Question.objects.create(survey=survey, kind="knowledge", text=o, objective=o)
        for o in OBJECTIVES
    ]
    end = cohort.sessions.get().ends_at
    rounds = [
        Round.objects.create(
            survey=survey,
            cohort=cohort,
            label=label,
            opens_at=end + timedelta(days=days),
            closes_at=end + timedelta(days=days + 7),
            status=RoundStatus.CLOSED,
        )
        for label, days in (("Right after", 0), ("+30 days", 30))
    ]
    return questions, rounds


def answer_check(person, questions, round_, corrects):
    response = Response.objects.create(
        round=round_,
        participant=person,
        status="submitted",
        submitted_at=round_.opens_at + timedelta(hours=1),
    )
    Answer.objects.bulk_create(
        Answer(response=response, question=q, is_correct=c)
        for q, c in zip(questions, corrects, strict=True)
    )


@pytest.fixture
def coached_world(db):
    """`build(coach, organization, per_cohort)`: three cohorts whose workshop ended 40 days ago,
    `per_cohort` people in each coached by `coach`, each with a post, a reply, a right spark
    answer, knowledge checks right after (both right) and at +30 (one right), and an anonymous
    check that no coach may see."""

    def build(coach, organization, per_cohort: int, cohorts: int = 3) -> list[Enrolment]:
        start = clock.now() - timedelta(days=41)
        enrolments = []
        for _ in range(cohorts):
            cohort = factories.CohortFactory(organization=organization)
            factories.WorkshopSessionFactory(cohort=cohort, starts_at=start)
            questions, rounds = knowledge_check(cohort)
            secret_questions, secret_rounds = knowledge_check(cohort, anonymous=True)
            spark = Spark.objects.create(
                cohort=cohort,
                question="Which part?",
                kind="knowledge",
                objective=OBJECTIVES[0],
                offset_days=2,
            )
            thread = Thread.objects.create(cohort=cohort, author=None, title="Welcome")
            for _ in range(per_cohort):
                person = factories.UserFactory()
                enrolments.append(
                    factories.EnrolmentFactory(cohort=cohort, user=person, coach=coach)
                )
                own = Thread.objects.create(cohort=cohort, author=person, title="Mine")
                Post.objects.create(
                    thread=own, author=person, kind="discussion", body="My private reflection"
                )
                Post.objects.create(thread=thread, author=person, kind="reply", body="Yes")
                delivery = Delivery.objects.create(
                    spark=spark, participant=person, sent_at=clock.now()
                )
                SparkAnswer.objects.create(delivery=delivery, is_correct=True)
                answer_check(person, questions, rounds[0], [True, True])
                answer_check(person, questions, rounds[1], [True, False])
                answer_check(person, secret_questions, secret_rounds[0], [False, False])
        return enrolments

    return build


@pytest.fixture
def csv_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    def make(text: str, name: str = "roster.csv") -> SimpleUploadedFile:
        return SimpleUploadedFile(name, text.encode(), content_type="text/csv")

    return make


@pytest.fixture
def coaching_planned(world):
    """The world's coach coaches the participant and the groupmate, the other coach the other
    group's participant; the cohort's knowledge check names two objectives, and the participant
    got "Name the impact" wrong right after the workshop."""
    from coaching.services import coaching_plan

    Enrolment.objects.filter(cohort=world.cohort, user=world.groupmate).update(coach=world.coach)
    questions, rounds = knowledge_check(world.cohort)
    coaching_plan(cohort=world.cohort)
    return questions, rounds
