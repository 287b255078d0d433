"""Survey settings: title, introduction, purpose, anonymity and feedback after submitting."""

from surveys.models import Survey
from tests.surveys.helpers_build import answered


def url(world, survey):
    return f"/cohorts/{world.cohort.pk}/surveys/{survey.pk}/settings/"


def test_it_saves_the_settings(world, client_for, knowledge_survey):
    response = client_for(world.instructor).post(
        url(world, knowledge_survey),
        {
            "title": "  SBI check  ",
            "intro": "Five minutes.",
            "purpose": "knowledge",
            "anonymous": "on",
        },
    )

    assert response.status_code == 302
    survey = Survey.objects.get(pk=knowledge_survey.pk)
    assert (survey.title, survey.intro, survey.anonymous, survey.show_feedback) == (
        "SBI check",
        "Five minutes.",
        True,
        False,
    )


def test_it_explains_what_anonymous_means(world, client_for, knowledge_survey):
    html = client_for(world.instructor).get(url(world, knowledge_survey)).content.decode()
    assert "only totals, and only once at least 5 people have answered" in html


def test_it_keeps_the_text_when_the_title_is_missing(world, client_for, knowledge_survey):
    response = client_for(world.instructor).post(
        url(world, knowledge_survey), {"title": "", "intro": "Keep me", "purpose": "knowledge"}
    )
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert "Keep me" in response.content.decode()


def test_it_refuses_to_lift_anonymity_once_people_answered(world, client_for, knowledge_survey):
    knowledge_survey.anonymous = True
    knowledge_survey.save(update_fields=["anonymous"])
    answered(knowledge_survey, world.participant)

    response = client_for(world.instructor).post(
        url(world, knowledge_survey), {"title": "Renamed", "purpose": "knowledge"}
    )

    assert response.status_code == 400
    assert "answered this survey anonymously, so it stays anonymous" in response.content.decode()
    survey = Survey.objects.get(pk=knowledge_survey.pk)
    assert survey.anonymous and survey.title == "Feedback check"


def test_it_lets_the_title_change_after_answers(world, client_for, knowledge_survey):
    answered(knowledge_survey, world.participant)
    client_for(world.instructor).post(
        url(world, knowledge_survey), {"title": "Renamed", "purpose": "knowledge"}
    )
    assert Survey.objects.get(pk=knowledge_survey.pk).title == "Renamed"
