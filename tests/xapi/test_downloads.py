"""Statement downloads: a cohort for those who teach it, the organisation for its managers."""

import json

import pytest


def _cohort_url(cohort):
    return f"/cohorts/{cohort.pk}/exports/xapi.json"


def _org_url(organization):
    return f"/org/{organization.slug}/exports/xapi.json"


def _body(response):
    return json.loads(b"".join(response.streaming_content))


def test_it_downloads_a_cohort_as_a_json_array_of_statements(world, client_for, activity):
    response = client_for(world.instructor).get(_cohort_url(world.cohort))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert 'filename="feedback-that-lands-xapi-' in response["Content-Disposition"]
    statements = _body(response)
    assert len(statements) == 5
    assert {s["verb"]["display"]["en"] for s in statements} == {
        "shared",
        "asked",
        "commented",
        "answered",
        "completed",
    }


def test_it_downloads_an_empty_array_when_nothing_happened_yet(world, client_for):
    assert _body(client_for(world.manager).get(_cohort_url(world.cohort))) == []


def test_it_downloads_the_whole_organisation_for_a_manager(world, client_for, activity):
    statements = _body(client_for(world.manager).get(_org_url(world.organization)))
    assert len(statements) == 5


@pytest.mark.parametrize("who", ["participant", "other_cohort_participant", "outsider"])
def test_it_hides_a_cohort_download_from_anyone_who_does_not_teach_it(world, client_for, who):
    assert client_for(getattr(world, who)).get(_cohort_url(world.cohort)).status_code == 404


@pytest.mark.parametrize("who", ["instructor", "participant", "outsider"])
def test_it_hides_the_organisation_download_from_anyone_but_its_managers(world, client_for, who):
    assert client_for(getattr(world, who)).get(_org_url(world.organization)).status_code == 404


def test_it_sends_anonymous_visitors_to_sign_in(world, client):
    response = client.get(_cohort_url(world.cohort))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
