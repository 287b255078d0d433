from datetime import timedelta

from coaching.models import ObservationRound
from coaching.services import observations_save
from insights.models import CohortRollup
from insights.rollups import rollups_refresh
from socialtraining import clock
from tests.coaching.conftest import OBJECTIVES, answer_check, knowledge_check


def test_it_shows_coaches_observations_beside_self_report_with_how_many_answered(
    world, client_for, coaching_planned
):
    round_ = ObservationRound.objects.get(cohort=world.cohort, offset_days=30)
    ObservationRound.objects.filter(pk=round_.pk).update(opened_at=clock.now())
    enrolment = world.participant.enrolments.get()
    observations_save(
        round_=round_,
        enrolment=enrolment,
        coach=world.coach,
        ratings={OBJECTIVES[0]: (2, ""), OBJECTIVES[1]: (0, "Not yet")},
    )
    body = client_for(world.instructor).get(f"/cohorts/{world.cohort.pk}/insights/").content
    body = body.decode()
    assert "Observed by coaches" in body
    assert "<strong>100%</strong> seen applying it by their coach (+30 days)" in body
    assert "1 of the 1 people rated" in body
    assert "1 of 2 coaches answered." in body
    assert f'<th scope="row">{OBJECTIVES[1]}</th><td>1</td><td>0%</td><td>1 of 2</td>' in body
    assert "No behaviour survey answers yet." in body


def test_it_compares_coached_and_uncoached_retention_on_the_org_dashboard(
    world, client_for, travel
):
    questions, rounds = knowledge_check(world.cohort)
    travel.to(rounds[1].opens_at + timedelta(days=1))
    answer_check(world.participant, questions, rounds[0], [True, True])
    answer_check(world.participant, questions, rounds[1], [True, True])
    answer_check(world.groupmate, questions, rounds[0], [True, True])
    answer_check(world.groupmate, questions, rounds[1], [True, False])
    # An invited coach who never signed in is no active coach yet.
    type(world.coach).objects.filter(pk=world.coach.pk).update(last_login=clock.now())
    for response in world.participant.survey_responses.all():
        response.score, response.max_score = 2, 2
        response.save(update_fields=["score", "max_score"])
    for response in world.groupmate.survey_responses.all():
        right = response.answers.filter(is_correct=True).count()
        response.score, response.max_score = right, 2
        response.save(update_fields=["score", "max_score"])

    rollups_refresh()
    rollup = CohortRollup.objects.get(cohort=world.cohort)
    assert (rollup.coached_participants, rollup.coached_percent) == (1, 33.3)
    assert (rollup.coached_retained_percent, rollup.uncoached_retained_percent) == (100.0, 50.0)
    body = client_for(world.manager).get("/insights/").content.decode()
    assert 'sort=-coached">Coached</a></th>' in body
    assert "<td>33.3%</td>" in body
    assert "People with an active coach kept 100.0%" in body
    assert "people without 50.0%" in body
