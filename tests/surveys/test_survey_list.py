"""The cohort's surveys page: surveys, their rounds in local time, and who has answered."""

from datetime import UTC, datetime, time

from cohorts.timeline import Anchor
from surveys import rounds
from surveys.models import Response, ResponseStatus, Survey
from tests import factories


def _survey_with_round(world, title, when=datetime(2030, 3, 4, 8, 0, tzinfo=UTC)):
    survey = Survey.objects.create(cohort=world.cohort, title=title, created_by=world.instructor)
    round_ = rounds.round_schedule(
        survey=survey,
        plan=rounds.RoundPlan(label=f"{title} round", anchor=Anchor.AT, opens_at=when),
    )
    return survey, round_


def test_it_lists_surveys_with_rounds_in_the_cohort_time_zone(world, client_for, knowledge_survey):
    round_ = rounds.round_schedule(
        survey=knowledge_survey,
        plan=rounds.RoundPlan(
            label="+30 days", anchor=Anchor.AFTER_LAST, offset_days=30, release_time=time(9, 0)
        ),
    )
    Response.objects.create(
        round=round_, participant=world.participant, status=ResponseStatus.SUBMITTED
    )
    Response.objects.create(round=round_, participant=world.groupmate)

    response = client_for(world.instructor).get(f"/cohorts/{world.cohort.pk}/surveys/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Feedback check" in html
    assert "Knowledge check (level 2) · version 1 · 5 questions" in html
    local = round_.opens_at.astimezone(world.cohort.tz)
    assert f"{local:%a} {local.day} {local:%b %Y}, 09:00" in html
    # One submitted of three participants; the draft does not count.
    assert "1 / 3" in html
    assert "Scheduled" in html


def test_it_shows_local_times_in_another_time_zone(world, client_for):
    world.cohort.time_zone = "America/New_York"
    world.cohort.save(update_fields=["time_zone"])
    _survey_with_round(world, "Pulse", when=datetime(2030, 3, 4, 14, 0, tzinfo=UTC))

    html = client_for(world.manager).get(f"/cohorts/{world.cohort.pk}/surveys/").content.decode()

    # 14:00 UTC on 4 March is 09:00 in New York (EST).
    assert "Mon 4 Mar 2030, 09:00" in html


def test_it_costs_the_same_queries_for_many_surveys(
    world, client_for, django_assert_max_num_queries
):
    client = client_for(world.instructor)
    url = f"/cohorts/{world.cohort.pk}/surveys/"
    _survey_with_round(world, "First")
    with django_assert_max_num_queries(9):
        assert client.get(url).status_code == 200
    for n in range(6):
        survey, round_ = _survey_with_round(world, f"Survey {n}")
        rounds.round_schedule(
            survey=survey,
            plan=rounds.RoundPlan(
                label="Again", anchor=Anchor.AT, opens_at=datetime(2031, 1, 1, tzinfo=UTC)
            ),
        )
        user = factories.UserFactory()
        factories.EnrolmentFactory(cohort=world.cohort, user=user)
        Response.objects.create(round=round_, participant=user, status=ResponseStatus.SUBMITTED)
    with django_assert_max_num_queries(9):
        html = client.get(url).content.decode()
    assert html.count("<article") == 7


def test_it_shows_the_surveys_tab_only_to_those_who_teach(world, client_for):
    url = f"/cohorts/{world.cohort.pk}/"
    surveys_url = f'href="/cohorts/{world.cohort.pk}/surveys/"'
    assert surveys_url in client_for(world.instructor).get(url).content.decode()
    assert surveys_url not in client_for(world.participant).get(url).content.decode()


def test_it_hides_another_cohort_s_surveys(world, client_for):
    _survey_with_round(world, "Ours")
    other = Survey.objects.create(cohort=world.other_cohort, title="Theirs")
    html = client_for(world.manager).get(f"/cohorts/{world.cohort.pk}/surveys/").content.decode()
    assert "Ours" in html and other.title not in html


def test_it_links_the_results_of_opened_rounds_only(world, client_for):
    _, scheduled = _survey_with_round(world, "Later")
    _, opened = _survey_with_round(world, "Now")
    type(opened).objects.filter(pk=opened.pk).update(status="open")

    html = client_for(world.instructor).get(f"/cohorts/{world.cohort.pk}/surveys/").text

    assert f"/cohorts/{world.cohort.pk}/surveys/rounds/{opened.pk}/results/" in html
    assert f"/cohorts/{world.cohort.pk}/surveys/rounds/{scheduled.pk}/results/" not in html
    assert f"/cohorts/{world.cohort.pk}/surveys/retention/" in html
