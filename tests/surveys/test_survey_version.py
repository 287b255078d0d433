"""Integrity: once people answered, questions and choices are frozen; a new version changes."""

from datetime import UTC, datetime

from cohorts.timeline import Anchor
from surveys import rounds
from surveys.models import Choice, Question, Round, RoundStatus, Survey
from tests.surveys.helpers_build import answered

REFUSAL = "People have already answered this survey"


def base(world, survey):
    return f"/cohorts/{world.cohort.pk}/surveys/{survey.pk}"


def test_it_refuses_to_edit_a_question_once_answered_and_offers_a_new_version(
    world, client_for, knowledge_survey
):
    answered(knowledge_survey, world.participant)
    question = knowledge_survey.questions.get(position=4)
    data = {
        "text": "Changed meaning",
        "choices-TOTAL_FORMS": "2",
        "choices-INITIAL_FORMS": "0",
        "choices-0-text": "Behaviour",
        "choices-1-text": "Belief",
        "choices-1-is_correct": "on",
    }
    response = client_for(world.instructor).post(
        f"{base(world, knowledge_survey)}/questions/{question.pk}/", data
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert REFUSAL in html and "Make a new version" in html
    assert 'value="Changed meaning"' in html
    assert list(question.choices.filter(is_correct=True).values_list("text", flat=True)) == [
        "Behaviour"
    ]
    assert Question.objects.get(pk=question.pk).text == "What does the B in SBI stand for?"


def test_it_refuses_to_add_delete_or_move_questions_once_answered(
    world, client_for, knowledge_survey
):
    answered(knowledge_survey, world.participant)
    client = client_for(world.instructor)
    question = knowledge_survey.questions.get(position=2)
    url = base(world, knowledge_survey)

    added = client.post(f"{url}/questions/new/?kind=likert", {"text": "New"})
    deleted = client.post(f"{url}/questions/{question.pk}/delete/", follow=True)
    moved = client.post(f"{url}/questions/{question.pk}/move/", {"direction": "up"}, follow=True)

    assert added.status_code == 400 and REFUSAL in added.content.decode()
    assert REFUSAL in deleted.content.decode() and REFUSAL in moved.content.decode()
    assert knowledge_survey.questions.count() == 5
    assert knowledge_survey.questions.get(pk=question.pk).position == 2


def test_it_hides_editing_controls_once_answered(world, client_for, knowledge_survey):
    answered(knowledge_survey, world.participant)
    html = client_for(world.instructor).get(base(world, knowledge_survey) + "/").content.decode()
    assert "Make a new version" in html
    assert "/questions/new/" not in html and "Move question" not in html


def test_it_makes_a_new_version_and_moves_unopened_rounds(world, client_for, knowledge_survey):
    opened = answered(knowledge_survey, world.participant)
    Round.objects.filter(pk=opened.pk).update(status=RoundStatus.OPEN)
    later = rounds.round_schedule(
        survey=knowledge_survey,
        plan=rounds.RoundPlan(
            label="+30 days", anchor=Anchor.AT, opens_at=datetime(2030, 1, 1, tzinfo=UTC)
        ),
    )
    client = client_for(world.instructor)

    response = client.post(f"{base(world, knowledge_survey)}/new-version/")

    copy = Survey.objects.get(previous_version=knowledge_survey)
    assert response.status_code == 302
    assert response["Location"] == f"{base(world, copy)}/"
    assert copy.version == 2 and copy.questions.count() == 5
    assert Round.objects.get(pk=later.pk).survey == copy
    assert Round.objects.get(pk=opened.pk).survey == knowledge_survey
    page = client.get(response["Location"]).content.decode()
    assert "Version 2 created. 1 round that had not opened moved to it" in page
    # The new version is editable.
    question = copy.questions.get(position=4)
    edit = client.post(
        f"{base(world, copy)}/questions/{question.pk}/",
        {
            "text": "Reworded",
            "choices-TOTAL_FORMS": "2",
            "choices-INITIAL_FORMS": "0",
            "choices-0-text": "Behaviour",
            "choices-0-is_correct": "on",
            "choices-1-text": "Belief",
        },
    )
    assert edit.status_code == 302
    assert Choice.objects.filter(question__survey=knowledge_survey).count() == 5


def test_it_does_not_version_a_survey_nobody_answered(world, client_for, knowledge_survey):
    client_for(world.instructor).post(f"{base(world, knowledge_survey)}/new-version/")
    assert Survey.objects.count() == 1
