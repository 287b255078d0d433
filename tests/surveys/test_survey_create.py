"""Starting a survey: a built-in starter, a copy of another cohort's survey, or blank."""

from cohorts.models import CohortRole
from surveys.models import Purpose, QuestionKind, Survey
from surveys.starters import STARTERS
from tests import factories


def url(world):
    return f"/cohorts/{world.cohort.pk}/surveys/new/"


def test_it_creates_the_standard_reaction_survey(world, client_for):
    response = client_for(world.instructor).post(url(world), {"start": "reaction", "title": ""})

    survey = Survey.objects.get(cohort=world.cohort)
    assert response.status_code == 302
    assert response["Location"] == f"/cohorts/{world.cohort.pk}/surveys/{survey.pk}/"
    assert survey.title == STARTERS["reaction"].title
    assert survey.purpose == Purpose.REACTION
    assert survey.created_by == world.instructor
    assert [q.kind for q in survey.questions.all()] == [
        QuestionKind.LIKERT,
        QuestionKind.LIKERT,
        QuestionKind.NPS,
        QuestionKind.TEXT,
    ]
    assert survey.questions.last().text == "What will you do differently?"


def test_it_creates_a_knowledge_check_skeleton_with_examples_to_replace(world, client_for):
    client_for(world.manager).post(url(world), {"start": "knowledge", "title": "SBI check"})

    survey = Survey.objects.get(cohort=world.cohort)
    assert survey.title == "SBI check"
    assert survey.purpose == Purpose.KNOWLEDGE
    first, second = survey.questions.all()
    assert first.kind == second.kind == QuestionKind.KNOWLEDGE
    assert first.text.startswith("Example question")
    assert first.ask_confidence and first.explanation
    assert [c.is_correct for c in first.choices.all()] == [True, False, False]
    assert second.multiple_correct
    assert sum(c.is_correct for c in second.choices.all()) == 2


def test_it_creates_a_behaviour_follow_up(world, client_for):
    client_for(world.instructor).post(url(world), {"start": "behaviour"})

    survey = Survey.objects.get(cohort=world.cohort)
    assert survey.purpose == Purpose.BEHAVIOUR
    kinds = [q.kind for q in survey.questions.all()]
    assert kinds == [QuestionKind.MULTIPLE, QuestionKind.LIKERT, QuestionKind.TEXT]
    assert survey.questions.first().text.startswith("What have you applied")


def test_it_says_tick_all_that_apply_once_per_question(world, client_for):
    client = client_for(world.instructor)
    for start in ("knowledge", "behaviour"):
        client.post(url(world), {"start": start, "title": start})
        survey = Survey.objects.get(cohort=world.cohort, title=start)
        preview = client.get(f"/cohorts/{world.cohort.pk}/surveys/{survey.pk}/preview/").text
        several = sum(q.allows_several for q in survey.questions.all())
        assert several == 1
        assert preview.count("Tick all that apply.") == several


def test_it_copies_a_survey_from_another_cohort_the_instructor_teaches(
    world, client_for, knowledge_survey
):
    factories.EnrolmentFactory(
        cohort=world.other_cohort, user=world.instructor, role=CohortRole.INSTRUCTOR
    )
    response = client_for(world.instructor).get(f"/cohorts/{world.other_cohort.pk}/surveys/new/")
    assert "Feedback check · Feedback that lands" in response.content.decode()

    client_for(world.instructor).post(
        f"/cohorts/{world.other_cohort.pk}/surveys/new/",
        {"start": "copy", "copy_from": knowledge_survey.pk},
    )

    copy = Survey.objects.get(cohort=world.other_cohort)
    assert copy.title == "Feedback check" and copy.version == 1
    assert copy.previous_version is None
    assert copy.questions.count() == 5
    assert copy.questions.get(position=4).choices.filter(is_correct=True).count() == 1


def test_it_refuses_to_copy_a_survey_of_a_cohort_the_user_does_not_teach(world, client_for):
    foreign = Survey.objects.create(cohort=world.outsider_cohort, title="Globex secrets")
    response = client_for(world.instructor).post(
        url(world), {"start": "copy", "copy_from": foreign.pk}
    )

    assert response.status_code == 400
    assert "Globex secrets" not in response.content.decode()
    assert "Select a valid choice" in response.content.decode()
    assert not Survey.objects.filter(cohort=world.cohort).exists()


def test_it_creates_a_blank_survey_with_its_purpose(world, client_for):
    client_for(world.instructor).post(
        url(world), {"start": "blank", "title": "Pulse", "purpose": "behaviour"}
    )
    survey = Survey.objects.get(cohort=world.cohort)
    assert (survey.title, survey.purpose, survey.questions.count()) == ("Pulse", "behaviour", 0)


def test_it_asks_for_a_title_for_a_blank_survey_and_the_survey_to_copy(world, client_for):
    client = client_for(world.instructor)
    blank = client.post(url(world), {"start": "blank", "title": " ", "purpose": "reaction"})
    copy = client.post(url(world), {"start": "copy", "title": "Kept title"})

    assert blank.status_code == copy.status_code == 400
    assert "Give the blank survey a title." in blank.content.decode()
    assert "Choose the survey to copy." in copy.content.decode()
    assert 'value="Kept title"' in copy.content.decode()
    assert not Survey.objects.exists()
