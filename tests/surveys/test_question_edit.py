"""The question editor: every kind, choices with correct answers, reorder, delete, preview."""

import re

import pytest

from surveys.models import Choice, Question, QuestionKind, Survey


@pytest.fixture
def blank(world):
    return Survey.objects.create(cohort=world.cohort, title="Pulse", created_by=world.instructor)


def new_url(world, survey, kind):
    return f"/cohorts/{world.cohort.pk}/surveys/{survey.pk}/questions/new/?kind={kind}"


def choices_data(rows, total=4):
    data = {"choices-TOTAL_FORMS": str(total), "choices-INITIAL_FORMS": "0"}
    for n, (text, correct) in enumerate(rows):
        data[f"choices-{n}-text"] = text
        if correct:
            data[f"choices-{n}-is_correct"] = "on"
    return data


@pytest.mark.parametrize("kind", [QuestionKind.LIKERT, QuestionKind.NPS, QuestionKind.TEXT])
def test_it_adds_a_question_without_choices(world, client_for, blank, kind):
    response = client_for(world.instructor).post(
        new_url(world, blank, kind), {"text": "  How was it?  ", "required": "on"}
    )
    assert response.status_code == 302
    question = Question.objects.get(survey=blank)
    assert (question.kind, question.text, question.required, question.position) == (
        kind,
        "How was it?",
        True,
        1,
    )


@pytest.mark.parametrize("kind", [QuestionKind.SINGLE, QuestionKind.MULTIPLE])
def test_it_adds_a_choice_question_and_ignores_correct_ticks(world, client_for, blank, kind):
    data = {"text": "Which part helped?", **choices_data([("Role play", True), ("Theory", False)])}
    response = client_for(world.instructor).post(new_url(world, blank, kind), data)

    assert response.status_code == 302
    question = Question.objects.get(survey=blank)
    assert not question.required
    assert [(c.text, c.is_correct) for c in question.choices.all()] == [
        ("Role play", False),
        ("Theory", False),
    ]


def test_it_adds_a_knowledge_question_with_everything(world, client_for, blank):
    data = {
        "text": "Which make feedback land?",
        "required": "on",
        "multiple_correct": "on",
        "ask_confidence": "on",
        "explanation": "Specific and timely.",
        "objective": "Give useful feedback",
        **choices_data([("Specific", True), ("", False), ("Timely", True), ("Vague", False)]),
    }
    response = client_for(world.instructor).post(new_url(world, blank, "knowledge"), data)

    assert response.status_code == 302
    question = Question.objects.get(survey=blank)
    assert question.multiple_correct and question.ask_confidence
    assert (question.explanation, question.objective) == (
        "Specific and timely.",
        "Give useful feedback",
    )
    # The empty row is left out; the order is kept.
    assert [(c.position, c.text, c.is_correct) for c in question.choices.all()] == [
        (1, "Specific", True),
        (2, "Timely", True),
        (3, "Vague", False),
    ]


@pytest.mark.parametrize(
    ("rows", "multiple", "message"),
    [
        ([("Only one", True)], False, "Give at least two choices."),
        ([("A", False), ("B", False)], False, "Tick the correct answer"),
        ([("A", True), ("B", True)], False, "Tick exactly one correct answer"),
        ([("Same", True), ("same", False)], False, "Each choice must be different"),
    ],
)
def test_it_refuses_a_knowledge_question_with_bad_choices(
    world, client_for, blank, rows, multiple, message
):
    data = {"text": "Keep my text", **choices_data(rows)}
    if multiple:
        data["multiple_correct"] = "on"
    response = client_for(world.instructor).post(new_url(world, blank, "knowledge"), data)

    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert 'value="Keep my text"' in html
    assert not Question.objects.exists()


def test_it_accepts_several_correct_answers_when_allowed(world, client_for, blank):
    data = {"text": "Q", "multiple_correct": "on", **choices_data([("A", True), ("B", True)])}
    response = client_for(world.instructor).post(new_url(world, blank, "knowledge"), data)
    assert response.status_code == 302


def test_it_offers_the_kinds_for_an_unknown_kind(world, client_for, blank):
    response = client_for(world.instructor).get(new_url(world, blank, "poll"))
    assert response.status_code == 400
    assert "Knowledge question (scored)" in response.content.decode()


def test_it_shows_only_the_fields_of_the_kind(world, client_for, blank):
    client = client_for(world.instructor)
    likert = client.get(new_url(world, blank, "likert")).content.decode()
    knowledge = client.get(new_url(world, blank, "knowledge")).content.decode()
    assert "Learning objective" not in likert and 'name="choices-0-text"' not in likert
    assert "Learning objective" in knowledge and 'name="choices-0-is_correct"' in knowledge


def test_it_edits_a_question_and_replaces_its_choices(world, client_for, knowledge_survey):
    question = knowledge_survey.questions.get(position=4)
    url = f"/cohorts/{world.cohort.pk}/surveys/{knowledge_survey.pk}/questions/{question.pk}/"
    page = client_for(world.instructor).get(url).content.decode()
    assert 'value="Behaviour"' in page

    data = {"text": "What is B in SBI?", **choices_data([("Belief", False), ("Behaviour", True)])}
    response = client_for(world.instructor).post(url, data)

    assert response.status_code == 302
    question.refresh_from_db()
    assert question.text == "What is B in SBI?" and question.kind == QuestionKind.KNOWLEDGE
    assert not question.ask_confidence
    assert [(c.text, c.is_correct) for c in question.choices.all()] == [
        ("Belief", False),
        ("Behaviour", True),
    ]


def test_it_deletes_a_question(world, client_for, knowledge_survey):
    question = knowledge_survey.questions.get(position=1)
    base = f"/cohorts/{world.cohort.pk}/surveys/{knowledge_survey.pk}"
    client = client_for(world.instructor)
    response = client.post(f"{base}/questions/{question.pk}/delete/")

    assert response.status_code == 302
    assert not Question.objects.filter(pk=question.pk).exists()
    page = client.get(response["Location"]).content.decode()
    assert "Question “Useful?” deleted." in page


def texts(survey):
    return list(survey.questions.order_by("position").values_list("text", flat=True))


def test_it_moves_a_question_down_with_the_form_fallback(world, client_for, knowledge_survey):
    question = knowledge_survey.questions.get(position=1)
    url = f"/cohorts/{world.cohort.pk}/surveys/{knowledge_survey.pk}/questions/{question.pk}/move/"
    response = client_for(world.instructor).post(url, {"direction": "down"})

    assert response.status_code == 302
    assert texts(knowledge_survey)[:2] == ["Recommend?", "Useful?"]


def test_it_moves_a_question_up_with_htmx_and_returns_the_list(world, client_for, knowledge_survey):
    question = knowledge_survey.questions.get(position=5)
    url = f"/cohorts/{world.cohort.pk}/surveys/{knowledge_survey.pk}/questions/{question.pk}/move/"
    response = client_for(world.instructor).post(
        url, {"direction": "up"}, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<ol id="questions"')
    assert "<html" not in html
    assert html.index("Which make feedback land?") < html.index("What does the B in SBI")
    assert texts(knowledge_survey)[3:] == [
        "Which make feedback land?",
        "What does the B in SBI stand for?",
    ]


def test_it_leaves_the_first_question_first_when_moved_up(world, client_for, knowledge_survey):
    question = knowledge_survey.questions.get(position=1)
    url = f"/cohorts/{world.cohort.pk}/surveys/{knowledge_survey.pk}/questions/{question.pk}/move/"
    client_for(world.instructor).post(url, {"direction": "up"})
    assert texts(knowledge_survey)[0] == "Useful?"


def test_it_previews_the_survey_as_a_participant_sees_it(world, client_for, knowledge_survey):
    sbi = knowledge_survey.questions.get(position=4)
    behaviour = sbi.choices.get(text="Behaviour")
    url = f"/cohorts/{world.cohort.pk}/surveys/{knowledge_survey.pk}/preview/"
    html = client_for(world.instructor).get(url).content.decode()

    assert "Preview: this is what participants see" in html
    assert html.count('<fieldset id="q') == 5
    assert f'name="q{sbi.pk}-choices" value="{behaviour.pk}"' in html
    assert f'name="q{sbi.pk}-confidence"' in html
    # Scored questions do not give the answer away.
    assert "(correct)" not in html and "Situation, Behaviour, Impact." not in html
    nps = knowledge_survey.questions.get(position=2)
    assert html.count(f'name="q{nps.pk}-number"') == 11


def test_it_renders_stored_values_and_errors_in_the_question_partial(knowledge_survey):
    from django.template.loader import render_to_string

    question = Question.objects.prefetch_related("choices").get(survey=knowledge_survey, position=5)
    specific, timely, _ = Choice.objects.filter(question=question)
    html = render_to_string(
        "surveys/_question_input.html",
        {
            "question": question,
            "answer": {"choices": [str(specific.pk), str(timely.pk)]},
            "errors": ["Choose only one answer."],
            "disabled": True,
        },
    )
    assert html.count("checked") == 2
    assert html.count('type="checkbox"') == 3 and html.count("disabled") == 3
    # The question's fieldset is described by its errors (the page's error summary alerts).
    assert (
        f'<ul class="errorlist" id="q{question.pk}-errors"><li>Choose only one answer.</li>' in html
    )
    assert re.search(
        rf'<fieldset id="q{question.pk}"[^>]*aria-describedby="[^"]*q{question.pk}-errors"', html
    )
