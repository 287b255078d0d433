from datetime import timedelta

import pytest

from cohorts.timeline import Anchor
from socialtraining import clock
from surveys import rounds
from surveys.models import Choice, Question, QuestionKind, Round, RoundStatus, Survey


@pytest.fixture
def knowledge_survey(world):
    """A knowledge check: a Likert, an NPS, a free text and two scored questions."""
    survey = Survey.objects.create(
        cohort=world.cohort,
        title="Feedback check",
        purpose="knowledge",
        created_by=world.instructor,
    )
    Question.objects.create(survey=survey, position=1, kind=QuestionKind.LIKERT, text="Useful?")
    Question.objects.create(survey=survey, position=2, kind=QuestionKind.NPS, text="Recommend?")
    Question.objects.create(
        survey=survey, position=3, kind=QuestionKind.TEXT, text="Anything else?", required=False
    )
    sbi = Question.objects.create(
        survey=survey,
        position=4,
        kind=QuestionKind.KNOWLEDGE,
        text="What does the B in SBI stand for?",
        ask_confidence=True,
        explanation="Situation, Behaviour, Impact.",
    )
    for n, (text, correct) in enumerate([("Behaviour", True), ("Belief", False)]):
        Choice.objects.create(question=sbi, position=n, text=text, is_correct=correct)
    parts = Question.objects.create(
        survey=survey,
        position=5,
        kind=QuestionKind.KNOWLEDGE,
        multiple_correct=True,
        text="Which make feedback land?",
    )
    for n, (text, correct) in enumerate(
        [("Specific", True), ("Timely", True), ("Anonymous", False)]
    ):
        Choice.objects.create(question=parts, position=n, text=text, is_correct=correct)
    return survey


@pytest.fixture
def open_round(knowledge_survey):
    """A round of the knowledge survey, open since a minute ago."""
    round_ = rounds.round_schedule(
        survey=knowledge_survey,
        plan=rounds.RoundPlan(
            label="Right after", anchor=Anchor.AT, opens_at=clock.now() - timedelta(minutes=1)
        ),
    )
    Round.objects.filter(pk=round_.pk).update(status=RoundStatus.OPEN)
    round_.refresh_from_db()
    return round_
