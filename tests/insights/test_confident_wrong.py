"""Confident and wrong: the scan, the bundled alert to instructors, the one-click thread."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from discussions.models import Post, Thread
from insights.confident_wrong import confident_wrong_scan
from insights.models import ConfidentWrongAlert
from notifications.models import EmailMode, Notification
from notifications.scheduling import DueStatus
from socialtraining import clock
from sparks.models import (
    PROBE_ATTEMPT,
    Delivery,
    DeliveryOutcome,
    Spark,
    SparkAnswer,
    SparkChoice,
    SparkKind,
)
from surveys.models import (
    Answer,
    Choice,
    Purpose,
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
    Round,
    RoundStatus,
    Survey,
)
from tests import factories


@pytest.fixture
def spark(world):
    spark = Spark.objects.create(
        cohort=world.cohort,
        kind=SparkKind.KNOWLEDGE,
        question="Which comes first in SBI?",
        explanation="The situation: where and when, before the behaviour.",
        ask_confidence=True,
        offset_days=2,
    )
    for n, (text, right) in enumerate(
        [("Situation", True), ("Behaviour", False), ("Impact", False)]
    ):
        SparkChoice.objects.create(spark=spark, position=n, text=text, is_correct=right)
    return spark


def answers(spark, picks):
    """One answered first ask per (choice text, confidence), each by a new participant."""
    choices = {c.text: c for c in spark.choices.all()}
    for text, confidence in picks:
        person = factories.UserFactory()
        factories.EnrolmentFactory(cohort=spark.cohort, user=person)
        delivery = Delivery.objects.create(
            spark=spark,
            participant=person,
            due_at=clock.now(),
            sent_at=clock.now(),
            status=DueStatus.DONE,
            outcome=DeliveryOutcome.ANSWERED,
        )
        answer = SparkAnswer.objects.create(
            delivery=delivery, confidence=confidence, is_correct=choices[text].is_correct
        )
        answer.choices.set([choices[text]])


TEN_WITH_FOUR_SURE_AND_WRONG = (
    [("Situation", 4)] * 4 + [("Behaviour", 4)] * 3 + [("Impact", 3)] + [("Behaviour", 1)] * 2
)


def test_it_alerts_the_instructors_once_when_a_third_are_sure_and_wrong(world, spark):
    answers(spark, TEN_WITH_FOUR_SURE_AND_WRONG)
    [alert] = confident_wrong_scan()
    assert (alert.spark_id, alert.answers, alert.confident_wrong) == (spark.pk, 10, 4)
    notice = Notification.objects.get(user=world.instructor, key=f"confident-wrong:{alert.pk}")
    assert notice.title == "40% of answers in Feedback that lands were sure and wrong"
    assert notice.body == spark.question
    assert notice.email_mode == EmailMode.BUNDLED
    assert notice.url == reverse("insights:confident_wrong", args=[world.cohort.pk, alert.pk])
    # Nobody else of the cohort hears of it, and a second scan says nothing again.
    assert Notification.objects.filter(key__startswith="confident-wrong:").count() == 1
    assert confident_wrong_scan() == []
    assert ConfidentWrongAlert.objects.count() == 1


def test_it_leaves_out_probes_and_repeats(world, spark):
    # Only first asks say what the cohort believed: a lift probe (attempt 0) or a repeat is a
    # later, practised answer.
    answers(spark, TEN_WITH_FOUR_SURE_AND_WRONG)
    Delivery.objects.filter(spark=spark).update(attempt=PROBE_ATTEMPT)
    assert confident_wrong_scan() == []
    Delivery.objects.filter(spark=spark).update(attempt=2)
    assert confident_wrong_scan() == []
    assert not ConfidentWrongAlert.objects.exists()


def test_it_scans_only_answers_of_the_last_two_days(world, spark, travel):
    answers(spark, TEN_WITH_FOUR_SURE_AND_WRONG)
    travel.by(timedelta(days=3))
    assert confident_wrong_scan() == []
    assert not ConfidentWrongAlert.objects.exists()


def test_the_alert_reaches_the_instructor_in_a_bundled_email(world, spark, travel, deliver):
    answers(spark, TEN_WITH_FOUR_SURE_AND_WRONG)
    confident_wrong_scan()
    deliver()
    assert mail.outbox == []
    travel.by(timedelta(minutes=11))
    deliver()
    [email] = mail.outbox
    assert email.to == [world.instructor.email]
    assert "Which comes first in SBI?" in email.body


def test_unsure_wrong_answers_and_a_lower_share_raise_nothing(world, spark):
    answers(spark, [("Situation", 4)] * 6 + [("Behaviour", 4)] * 2 + [("Impact", 2)] * 2)
    assert confident_wrong_scan() == []


def test_too_few_answers_raise_nothing(world, spark):
    answers(spark, [("Behaviour", 4)] * 4)
    assert confident_wrong_scan() == []


@override_settings(CONFIDENT_WRONG_SHARE=0.5)
def test_the_share_is_configurable(world, spark):
    answers(spark, TEN_WITH_FOUR_SURE_AND_WRONG)
    assert confident_wrong_scan() == []


def test_a_survey_knowledge_question_raises_it_too(world):
    survey = Survey.objects.create(cohort=world.cohort, title="Check", purpose=Purpose.KNOWLEDGE)
    question = Question.objects.create(
        survey=survey, kind=QuestionKind.KNOWLEDGE, text="What is SBI?", ask_confidence=True
    )
    right = Choice.objects.create(question=question, text="A feedback model", is_correct=True)
    wrong = Choice.objects.create(question=question, text="A survey", is_correct=False)
    now = clock.now()
    round_ = Round.objects.create(
        survey=survey,
        cohort=world.cohort,
        label="+30 days",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=6),
        status=RoundStatus.OPEN,
    )
    for n, (choice, confidence) in enumerate([(wrong, 4)] * 2 + [(right, 4)] * 3):
        person = factories.UserFactory(email=f"s{n}@example.test")
        response = Response.objects.create(
            round=round_, participant=person, status=ResponseStatus.SUBMITTED, submitted_at=now
        )
        answer = Answer.objects.create(
            response=response,
            question=question,
            confidence=confidence,
            is_correct=choice.is_correct,
        )
        answer.choices.set([choice])
    [alert] = confident_wrong_scan()
    assert (alert.question_id, alert.round_id, alert.confident_wrong) == (question.pk, round_.pk, 2)


def test_an_instructor_reads_the_distribution_and_starts_a_thread_in_one_click(
    world, spark, client_for
):
    answers(spark, TEN_WITH_FOUR_SURE_AND_WRONG)
    [alert] = confident_wrong_scan()
    client = client_for(world.instructor)
    url = reverse("insights:confident_wrong", args=[world.cohort.pk, alert.pk])
    page = client.get(url)
    assert "4 of 10 answers were wrong and sure of it" in page.text
    assert "The situation: where and when, before the behaviour." in page.text
    assert '<th scope="row">Behaviour</th><td>5</td><td>3</td>' in page.text
    thread_url = reverse("insights:confident_wrong_thread", args=[world.cohort.pk, alert.pk])
    response = client.post(thread_url)
    thread = Thread.objects.get()
    assert response["Location"] == reverse("discussions:thread", args=[world.cohort.pk, thread.pk])
    assert thread.title == "Many of us were sure of a wrong answer: Which comes first in SBI?"
    assert thread.study_group_id is None
    opening = Post.objects.get(thread=thread, is_opening=True)
    assert "| Behaviour | 5 (50%) | 3 |" in opening.body
    assert "**Why:** The situation: where and when, before the behaviour." in opening.body
    assert "<table>" in opening.body_html
    # A second click opens the same thread.
    assert client.post(thread_url)["Location"] == response["Location"]
    assert Thread.objects.count() == 1
    assert "Open the thread about it" in client.get(url).text


def test_participants_and_other_cohorts_never_see_an_alert(world, spark, client_for):
    alert = ConfidentWrongAlert.objects.create(
        cohort=world.cohort, spark=spark, answers=10, confident_wrong=5
    )
    for user in (world.participant, world.other_cohort_participant, world.outsider):
        client = client_for(user)
        url = reverse("insights:confident_wrong", args=[world.cohort.pk, alert.pk])
        assert client.get(url).status_code == 404
        thread = reverse("insights:confident_wrong_thread", args=[world.cohort.pk, alert.pk])
        assert client.post(thread).status_code == 404
    other = reverse("insights:confident_wrong", args=[world.other_cohort.pk, alert.pk])
    assert client_for(world.manager).get(other).status_code == 404
    assert not Thread.objects.exists()


def test_the_alert_list_costs_the_same_queries_for_more_alerts(
    world, spark, client_for, django_assert_max_num_queries
):
    for n in range(30):
        other = Spark.objects.create(
            cohort=world.cohort, kind=SparkKind.KNOWLEDGE, question=f"Q{n}", offset_days=2
        )
        ConfidentWrongAlert.objects.create(
            cohort=world.cohort, spark=other, answers=10, confident_wrong=4
        )
    client = client_for(world.instructor)
    with django_assert_max_num_queries(6):
        page = client.get(reverse("insights:confident_wrong_list", args=[world.cohort.pk]))
    assert page.text.count("of 10 answers sure and wrong (40%)") == 30
