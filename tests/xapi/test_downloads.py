import json

import pytest

from cohorts.models import CohortRole
from tests import factories
from xapi.statements import statement_id


def _download(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    return json.loads(b"".join(response.streaming_content))


def test_it_downloads_a_cohorts_statements_for_its_manager(world, activity, client_for):
    response = client_for(world.manager).get(f"/cohorts/{world.cohort.pk}/xapi/statements.json")
    statements = _download(response)
    assert len(statements) == 9
    assert statement_id("survey-response", activity.scored.pk) in {s["id"] for s in statements}


def test_it_downloads_a_cohorts_statements_for_its_instructor(world, activity, client_for):
    response = client_for(world.instructor).get(f"/cohorts/{world.cohort.pk}/xapi/statements.json")
    assert len(_download(response)) == 9


def test_it_hides_a_cohort_from_an_instructor_of_another_cohort(world, activity, client_for):
    other_instructor = factories.UserFactory()
    factories.EnrolmentFactory(
        cohort=world.other_cohort, user=other_instructor, role=CohortRole.INSTRUCTOR
    )
    client = client_for(other_instructor)
    assert client.get(f"/cohorts/{world.cohort.pk}/xapi/statements.json").status_code == 404
    assert _download(client.get(f"/cohorts/{world.other_cohort.pk}/xapi/statements.json")) == []


@pytest.mark.parametrize("persona", ["participant", "other_cohort_participant", "outsider"])
def test_it_hides_a_cohorts_statements_from_others(world, activity, client_for, persona):
    response = client_for(getattr(world, persona)).get(
        f"/cohorts/{world.cohort.pk}/xapi/statements.json"
    )
    assert response.status_code == 404


def test_it_downloads_the_organisation_for_its_manager_only(world, activity, client_for):
    url = f"/org/{world.organization.slug}/xapi/statements.json"
    other = factories.CohortFactory(organization=world.organization)
    factories.EnrolmentFactory(cohort=other, user=world.instructor, role=CohortRole.INSTRUCTOR)
    assert len(_download(client_for(world.manager).get(url))) == 9
    for persona in ("instructor", "participant", "outsider"):
        assert client_for(getattr(world, persona)).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 302


def test_it_streams_in_a_constant_number_of_queries(
    world, activity, client_for, django_assert_max_num_queries
):
    client = client_for(world.manager)
    url = f"/cohorts/{world.cohort.pk}/xapi/statements.json"
    # Session, user, cohort and access checks, then one batch of each source (spark answers: 3).
    with django_assert_max_num_queries(12):
        assert len(_download(client.get(url))) == 9


def test_it_links_the_downloads_from_the_exports_page(world, client_for):
    page = client_for(world.manager).get(f"/org/{world.organization.slug}/xapi/")
    html = page.content.decode()
    assert f'href="/org/{world.organization.slug}/xapi/statements.json"' in html
    assert f'href="/cohorts/{world.cohort.pk}/xapi/statements.json"' in html
    assert f'href="/cohorts/{world.outsider_cohort.pk}/xapi/statements.json"' not in html


def test_it_links_the_exports_page_from_the_managers_home(world, client_for):
    html = client_for(world.manager).get("/").content.decode()
    assert f'href="/org/{world.organization.slug}/xapi/"' in html
