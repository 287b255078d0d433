"""The measured lift on the cohort dashboard, its CSV, and the organisation's pooled lift."""

import csv
import io

import pytest
from django.urls import reverse

from insights.lift_stats import lift_sentence, paired_lift, pooled_lift
from sparks.models import LiftAssignment, LiftStudy
from tests.insights.lift_builders import OBJECTIVES, measured_cohort


def lift_fragment(client, cohort):
    return client.get(reverse("insights:cohort_lift", args=[cohort.pk]), HTTP_HX_REQUEST="true")


def test_it_says_the_lift_with_its_interval_and_what_stands_behind_it(world, client_for):
    cohort, answers = measured_cohort(world.organization, people=40, lift_points=25)
    expected = paired_lift(answers)
    response = lift_fragment(client_for(world.manager), cohort)
    assert response.status_code == 200
    assert lift_sentence(expected) in response.text
    assert lift_sentence(expected).startswith("Sparks raised retention by")
    assert "<strong>40 people</strong>" in response.text
    assert f"<strong>{len(answers)} probe answers</strong>" in response.text
    assert f"{expected.boosted_share:.0f}% right on the objectives sparks boosted" in response.text


def test_it_says_not_enough_answers_yet(world, client_for):
    cohort, _ = measured_cohort(world.organization, people=4, lift_points=10)
    response = lift_fragment(client_for(world.manager), cohort)
    assert "Not enough answers yet to say whether sparks raised retention." in response.text
    assert "4 people have answered the probe on both" in response.text
    assert "10 are needed" in response.text


def test_it_offers_to_measure_it_where_it_is_not_measured(world, client_for):
    response = lift_fragment(client_for(world.instructor), world.cohort)
    assert "not measured in this cohort" in response.text
    assert reverse("sparks:lift", args=[world.cohort.pk]) in response.text


def test_the_cohort_dashboard_loads_the_lift_into_its_section(world, client_for):
    response = client_for(world.instructor).get(
        reverse("insights:cohort_dashboard", args=[world.cohort.pk])
    )
    assert f'hx-get="{reverse("insights:cohort_lift", args=[world.cohort.pk])}"' in response.text
    assert "Does sparking work?" in response.text


@pytest.mark.parametrize("people", [20, 500])
def test_the_lift_costs_the_same_queries_for_20_or_500_people(
    people, world, client_for, django_assert_max_num_queries
):
    cohort, _ = measured_cohort(world.organization, people=people, lift_points=10)
    client = client_for(world.manager)
    # Session and user, the cohort with its access, the study, the probe answers.
    with django_assert_max_num_queries(6):
        response = lift_fragment(client, cohort)
    assert f"<strong>{people} people</strong>" in response.text


def read_csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_has_a_row_per_person_and_objective_safe_for_spreadsheets(
    world, client_for, django_assert_max_num_queries
):
    cohort, answers = measured_cohort(world.organization, people=12, lift_points=10)
    person = LiftAssignment.objects.filter(study__cohort=cohort).first().participant
    person.display_name = '=HYPERLINK("http://evil.test")'
    person.save(update_fields=["display_name"])
    client = client_for(world.manager)
    with django_assert_max_num_queries(8):
        rows = read_csv(client.get(reverse("insights:cohort_lift_csv", args=[cohort.pk])))
    header, body = rows[0], rows[1:]
    assert header[:5] == ["participant", "email", "study group", "objective", "side"]
    assert len(body) == 12 * len(OBJECTIVES)
    evil = [r for r in body if r[1] == person.email]
    assert {r[0] for r in evil} == {'\'=HYPERLINK("http://evil.test")'}
    truth = {(a.person, a.objective): a for a in answers}
    email_to_pk = {
        r.participant.email: r.participant_id
        for r in LiftAssignment.objects.filter(study__cohort=cohort).select_related("participant")
    }
    for row in body:
        answer = truth[(email_to_pk[row[1]], row[3])]
        assert row[4] == ("boosted" if answer.boosted else "held out")
        assert row[8] == ("yes" if answer.correct else "no")


def test_the_organisation_pools_its_cohorts(world, client_for, django_assert_max_num_queries):
    _, a = measured_cohort(world.organization, people=30, lift_points=15, name="North")
    _, b = measured_cohort(world.organization, people=30, lift_points=5, seed=2, name="South")
    measured_cohort(world.organization, people=3, lift_points=5, seed=3, name="Tiny")
    expected = pooled_lift([paired_lift(a), paired_lift(b)])
    client = client_for(world.manager)
    url = reverse("insights:org_lift") + f"?org={world.organization.slug}"
    with django_assert_max_num_queries(8):
        response = client.get(url, HTTP_HX_REQUEST="true")
    assert lift_sentence(expected) in response.text
    assert "Pooled over 2 cohorts and 60 people" in response.text
    assert "3 cohorts measure the lift; 2 have enough probe answers" in response.text
    assert "North" in response.text and "South" in response.text
    assert LiftStudy.objects.count() == 3


def test_the_organisation_dashboard_loads_the_pooled_lift(world, client_for):
    response = client_for(world.manager).get(
        reverse("insights:org_dashboard") + f"?org={world.organization.slug}"
    )
    assert reverse("insights:org_lift") in response.text
