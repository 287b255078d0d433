"""Answering a round: drafts keep what is valid, submitting is all or nothing, scores are right."""

from datetime import timedelta

import pytest

from cohorts.timeline import Anchor
from socialtraining import clock
from surveys import answering, building, rounds
from surveys.models import Answer, Response, ResponseStatus


def questions(survey):
    return {q.position: q for q in survey.questions.all()}


def choice(question, text):
    return str(question.choices.get(text=text).pk)


def full_answers(survey, *, sbi="Behaviour", parts=("Specific", "Timely")):
    q = questions(survey)
    return {
        q[1].pk: {"number": "4"},
        q[2].pk: {"number": "9"},
        q[3].pk: {"text": "  Great morning.  "},
        q[4].pk: {"choices": [choice(q[4], sbi)], "confidence": "3"},
        q[5].pk: {"choices": [choice(q[5], p) for p in parts]},
    }


def test_it_keeps_a_partial_draft(world, open_round, knowledge_survey):
    q = questions(knowledge_survey)
    response, problems = answering.response_save_draft(
        round_=open_round, participant=world.participant, raw={q[1].pk: {"number": "5"}}
    )
    assert problems == []
    assert response.status == ResponseStatus.DRAFT
    assert Answer.objects.get(response=response, question=q[1]).number == 5


def test_it_scores_a_submission_and_stores_correctness_per_question(
    world, open_round, knowledge_survey
):
    raw = full_answers(knowledge_survey, parts=("Specific",))
    response, problems = answering.response_submit(
        round_=open_round, participant=world.participant, raw=raw
    )
    assert problems == []
    assert response.status == ResponseStatus.SUBMITTED
    assert (response.score, response.max_score, response.score_percent) == (1, 2, 50.0)
    q = questions(knowledge_survey)
    assert Answer.objects.get(response=response, question=q[4]).is_correct is True
    # One of two correct answers ticked is not correct.
    assert Answer.objects.get(response=response, question=q[5]).is_correct is False
    assert Answer.objects.get(response=response, question=q[3]).text == "Great morning."
    assert Answer.objects.get(response=response, question=q[4]).confidence == 3


def test_it_refuses_a_submission_missing_required_answers_and_keeps_the_draft(
    world, open_round, knowledge_survey
):
    raw = full_answers(knowledge_survey)
    q = questions(knowledge_survey)
    del raw[q[2].pk]
    response, problems = answering.response_submit(
        round_=open_round, participant=world.participant, raw=raw
    )
    assert [(p.question_id, p.message) for p in problems] == [
        (q[2].pk, "This question needs an answer.")
    ]
    assert response.status == ResponseStatus.DRAFT
    assert Answer.objects.filter(response=response).count() == 4


@pytest.mark.parametrize(
    ("position", "value", "message"),
    [
        (1, {"number": "6"}, "Choose a value from 1 to 5."),
        (2, {"number": "-1"}, "Choose a value from 0 to 10."),
        (1, {"number": "lots"}, "Choose one of the points on the scale."),
        (4, {"choices": ["999999"]}, "That choice is not one of this question's answers."),
        (4, {"choices": ["abc"]}, "That choice is not one of this question's answers."),
        (
            4,
            {"choices": [], "confidence": "7"},
            "Say how sure you are with one of the four options.",
        ),
    ],
)
def test_it_refuses_out_of_range_and_tampered_values(
    world, open_round, knowledge_survey, position, value, message
):
    raw = full_answers(knowledge_survey)
    question = questions(knowledge_survey)[position]
    raw[question.pk] = value
    response, problems = answering.response_submit(
        round_=open_round, participant=world.participant, raw=raw
    )
    assert (problems[0].question_id, problems[0].message) == (question.pk, message)
    assert response.status == ResponseStatus.DRAFT


def test_it_refuses_a_choice_of_another_question(world, open_round, knowledge_survey):
    raw = full_answers(knowledge_survey)
    q = questions(knowledge_survey)
    raw[q[4].pk] = {"choices": [choice(q[5], "Specific")]}
    _, problems = answering.response_submit(
        round_=open_round, participant=world.participant, raw=raw
    )
    assert problems[0].question_id == q[4].pk


def test_it_refuses_two_answers_to_a_single_answer_question(world, open_round, knowledge_survey):
    raw = full_answers(knowledge_survey)
    q = questions(knowledge_survey)
    raw[q[4].pk] = {"choices": [choice(q[4], "Behaviour"), choice(q[4], "Belief")]}
    _, problems = answering.response_submit(
        round_=open_round, participant=world.participant, raw=raw
    )
    assert problems[0].message == "Choose only one answer."


def test_it_takes_no_answers_after_the_round_closed(travel, world, open_round, knowledge_survey):
    later = open_round.closes_at + timedelta(seconds=1)
    with pytest.raises(answering.ResponseClosed, match="closed"):
        travel.to(later)
        answering.response_submit(
            round_=open_round, participant=world.participant, raw=full_answers(knowledge_survey)
        )
    assert not Answer.objects.exists()


def test_it_treats_a_submitted_response_as_final(world, open_round, knowledge_survey):
    answering.response_submit(
        round_=open_round, participant=world.participant, raw=full_answers(knowledge_survey)
    )
    with pytest.raises(answering.ResponseClosed, match="already submitted"):
        answering.response_save_draft(
            round_=open_round, participant=world.participant, raw=full_answers(knowledge_survey)
        )
    assert Response.objects.get().score == 2


def test_it_refuses_meaning_changes_once_answered_and_versions_instead(
    world, open_round, knowledge_survey
):
    building.check_survey_editable(knowledge_survey)
    answering.response_save_draft(
        round_=open_round, participant=world.participant, raw=full_answers(knowledge_survey)
    )
    with pytest.raises(rounds.RoundError, match="new version"):
        building.check_survey_editable(knowledge_survey)
    later = rounds.round_schedule(
        survey=knowledge_survey,
        plan=rounds.RoundPlan(
            label="+30 days", anchor=Anchor.AT, opens_at=clock.now() + timedelta(days=30)
        ),
    )
    copy = building.survey_copy(
        survey=knowledge_survey, cohort=world.cohort, user=world.instructor, as_new_version=True
    )
    assert copy.version == 2 and copy.previous_version == knowledge_survey
    assert copy.questions.count() == 5
    assert copy.questions.get(position=5).choices.filter(is_correct=True).count() == 2
    later.refresh_from_db()
    open_round.refresh_from_db()
    assert later.survey == copy
    assert open_round.survey == knowledge_survey


def test_it_marks_a_knowledge_answer_right_only_with_exactly_the_correct_choices():
    from surveys.answering import answer_is_correct
    from surveys.models import Choice

    right_a, right_b, wrong = (
        Choice(text="A", is_correct=True),
        Choice(text="B", is_correct=True),
        Choice(text="C", is_correct=False),
    )
    choices = [right_a, right_b, wrong]
    assert answer_is_correct(picked=[right_a, right_b], choices=choices)
    assert not answer_is_correct(picked=[right_a], choices=choices)
    assert not answer_is_correct(picked=[right_a, right_b, wrong], choices=choices)
    assert not answer_is_correct(picked=[wrong], choices=choices)
    assert not answer_is_correct(picked=[], choices=choices)


def test_it_scores_a_response_by_its_knowledge_marks_and_none_without_any():
    from surveys.answering import response_score

    assert response_score([True, False, True]) == (2, 3)
    assert response_score([False]) == (0, 1)
    assert response_score([]) == (None, None)
