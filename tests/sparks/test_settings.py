"""A participant's sparks per cohort: a vacation hold shifts pending asks; resume; opt out/in."""

from datetime import timedelta

import pytest

from notifications.scheduling import DueStatus
from socialtraining import clock
from sparks import planning
from sparks.models import Delivery, SparkSettings


@pytest.fixture
def planned(world, knowledge_spark, open_spark):
    planning.sparks_plan(cohort=world.cohort)
    return {d.spark_id: d.due_at for d in Delivery.objects.filter(participant=world.participant)}


def _due(world):
    return {d.spark_id: d.due_at for d in Delivery.objects.filter(participant=world.participant)}


def _settings_url(world):
    return f"/sparks/cohorts/{world.cohort.pk}/settings/"


def test_it_pauses_for_days_and_shifts_pending_asks_by_the_pause(client_for, world, planned):
    client = client_for(world.participant)
    response = client.post(_settings_url(world), {"action": "pause", "days": "10"}, follow=True)
    assert "Sparks paused until" in response.text and "Resume now" in response.text
    for spark_id, due in _due(world).items():
        assert abs(due - planned[spark_id] - timedelta(days=10)) < timedelta(minutes=1)
    # A peer's asks do not move.
    assert Delivery.objects.filter(participant=world.groupmate).count() == len(planned)


def test_it_pauses_until_a_date_and_resumes_early(client_for, world, planned):
    client = client_for(world.participant)
    until = (clock.now() + timedelta(days=20)).astimezone(world.cohort.tz).date()
    client.post(_settings_url(world), {"action": "pause", "until": until.isoformat()})
    row = SparkSettings.objects.get(user=world.participant)
    assert row.paused_until.astimezone(world.cohort.tz).date() == until
    shifted = _due(world)
    assert all(shifted[k] > planned[k] + timedelta(days=18) for k in planned)
    client.post(_settings_url(world), {"action": "resume"})
    row.refresh_from_db()
    assert row.paused_until is None
    for spark_id, due in _due(world).items():
        assert abs(due - planned[spark_id]) < timedelta(minutes=1)


def test_it_keeps_the_form_and_says_why_when_the_pause_is_unclear(client_for, world, planned):
    client = client_for(world.participant)
    response = client.post(
        _settings_url(world), {"action": "pause", "days": "5", "until": "2020-01-01"}
    )
    assert response.status_code == 400
    assert "either a number of days or a date" in response.text
    assert 'value="5"' in response.text
    assert _due(world) == planned


def test_it_opts_out_and_back_in(client_for, world, planned):
    client = client_for(world.participant)
    response = client.post(_settings_url(world), {"action": "opt_out"}, follow=True)
    assert "You will get no more sparks" in response.text
    assert set(
        Delivery.objects.filter(participant=world.participant).values_list("status", flat=True)
    ) == {DueStatus.CANCELLED}
    response = client.post(_settings_url(world), {"action": "opt_in"}, follow=True)
    assert "back on" in response.text
    assert set(
        Delivery.objects.filter(participant=world.participant).values_list("status", flat=True)
    ) == {DueStatus.PENDING}


def test_it_is_only_for_the_cohort_s_participants(client_for, world, planned):
    url = _settings_url(world)
    assert client_for(world.instructor).get(url).status_code == 404
    assert client_for(world.other_cohort_participant).get(url).status_code == 404
    assert client_for(world.outsider).post(url, {"action": "opt_out"}).status_code == 404
    assert not SparkSettings.objects.exists()
