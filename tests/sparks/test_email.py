"""The spark emails: HTML and text, the signed link, and one signed one-click link per choice."""

import re
from datetime import timedelta

import pytest
from django.core import mail

from notifications import scheduling
from socialtraining import clock
from sparks import planning
from sparks.models import Delivery


@pytest.fixture
def run_due(django_capture_on_commit_callbacks, travel):
    def run(now=None):
        if now is not None:
            travel.to(now)
        with django_capture_on_commit_callbacks(execute=True):
            return scheduling.dispatch_all()

    return run


def _mail_to(email):
    [message] = [m for m in mail.outbox if m.to == [email]]
    return message


def test_it_sends_a_knowledge_spark_with_a_one_click_link_per_choice(
    world, knowledge_spark, run_due
):
    planning.sparks_plan(cohort=world.cohort)
    Delivery.objects.update(due_at=clock.now() - timedelta(minutes=1))
    run_due()
    message = _mail_to(world.participant.email)
    html = message.alternatives[0].content
    assert "What does the B in SBI stand for?" in message.subject
    for text in (message.body, html):
        assert "Feedback that lands" in text
        assert len(re.findall(r"/sparks/pick/[^/\s\"]+/", text)) == 2
        assert len(set(re.findall(r"/sparks/pick/[^/\s\"]+/", text))) == 2
        assert "/sparks/link/" in text
        assert f"/sparks/cohorts/{world.cohort.pk}/settings/" in text
    assert "Behaviour" in html and "Belief" in html
    # The explanation and the right answer are never in the email.
    assert "describe what they did" not in message.body + html


def test_it_sends_an_open_spark_with_one_answer_link_and_a_reminder_later(
    world, open_spark, run_due
):
    planning.sparks_plan(cohort=world.cohort)
    Delivery.objects.update(due_at=clock.now() - timedelta(minutes=1))
    run_due()
    first = _mail_to(world.groupmate.email)
    assert "/sparks/pick/" not in first.body and "/sparks/link/" in first.body
    mail.outbox.clear()
    run_due(now=clock.now() + timedelta(hours=49))
    reminder = _mail_to(world.groupmate.email)
    assert reminder.subject.startswith("[Social training] Still time to answer")
    assert "still waiting for your answer" in reminder.body
    assert "/sparks/link/" in reminder.alternatives[0].content


def test_it_points_the_in_app_notification_at_the_answer_page(world, open_spark, run_due):
    planning.sparks_plan(cohort=world.cohort)
    Delivery.objects.update(due_at=clock.now() - timedelta(minutes=1))
    run_due()
    ask = Delivery.objects.get(participant=world.participant)
    notification = world.participant.notifications.get(key=f"spark:{ask.pk}")
    assert notification.url == f"/sparks/{ask.pk}/"
