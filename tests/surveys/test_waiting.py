"""Surveys waiting for a participant: listed on their home page and their cohort's overview."""

from datetime import timedelta

from django.urls import reverse

from socialtraining import clock
from surveys.models import Response, ResponseStatus, Round, RoundStatus, Survey


def a_round(cohort, title, *, status=RoundStatus.OPEN, opens_in_days=-1):
    now = clock.now()
    return Round.objects.create(
        survey=Survey.objects.create(cohort=cohort, title=title),
        cohort=cohort,
        label="Right after",
        opens_at=now + timedelta(days=opens_in_days),
        closes_at=now + timedelta(days=opens_in_days + 7),
        status=status,
    )


def test_it_lists_open_unanswered_rounds_of_my_cohorts_only(world, client_for):
    waiting = a_round(world.cohort, "How was the workshop?")
    done = a_round(world.cohort, "Already answered")
    Response.objects.create(
        round=done, participant=world.participant, status=ResponseStatus.SUBMITTED
    )
    a_round(world.cohort, "Not open yet", status=RoundStatus.SCHEDULED, opens_in_days=3)
    a_round(world.cohort, "Closed", status=RoundStatus.CLOSED)
    a_round(world.other_cohort, "Another cohort's")
    html = client_for(world.participant).get(reverse("home")).content.decode()
    assert "Surveys waiting for you" in html
    assert "How was the workshop?" in html
    assert reverse("surveys:answer", args=[world.cohort.pk, waiting.pk]) in html
    for hidden in ("Already answered", "Not open yet", "Closed", "Another cohort"):
        assert hidden not in html


def test_it_lists_them_on_a_participant_home_page_and_cohort_overview(world, client_for):
    from tests import factories

    factories.EnrolmentFactory(cohort=world.other_cohort, user=world.participant)
    waiting = a_round(world.cohort, "How was the workshop?")
    elsewhere = a_round(world.other_cohort, "Another cohort")
    answer = reverse("surveys:answer", args=[world.cohort.pk, waiting.pk])
    client = client_for(world.participant)
    home = client.get(reverse("home")).content.decode()
    overview = client.get(reverse("cohorts:detail", args=[world.cohort.pk])).content.decode()
    assert "Surveys waiting for you" in home and answer in home
    assert "Another cohort" in home
    assert "Surveys waiting for you" in overview and answer in overview
    # The overview is the cohort's own: what waits in another cohort stays on the home page.
    assert elsewhere.survey.title not in overview
    manager = client_for(world.manager)
    assert "Surveys waiting for you" not in manager.get(reverse("home")).content.decode()
    manager_overview = manager.get(reverse("cohorts:detail", args=[world.cohort.pk]))
    assert answer not in manager_overview.content.decode()


def test_it_leaves_the_home_page_alone_when_nothing_waits(world, client_for):
    a_round(world.cohort, "How was the workshop?")
    html = client_for(world.other_cohort_participant).get(reverse("home")).content.decode()
    assert "Surveys waiting for you" not in html
