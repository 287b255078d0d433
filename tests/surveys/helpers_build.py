"""Small builders shared by the survey-building tests."""

from datetime import timedelta

from cohorts.timeline import Anchor
from socialtraining import clock
from surveys import rounds
from surveys.models import Answer, Response


def answered(survey, participant):
    """Give `survey` one stored answer, as the answer form would, so it is locked."""
    round_ = rounds.round_schedule(
        survey=survey,
        plan=rounds.RoundPlan(
            label="Right after", anchor=Anchor.AT, opens_at=clock.now() - timedelta(minutes=1)
        ),
    )
    response = Response.objects.create(round=round_, participant=participant)
    Answer.objects.create(response=response, question=survey.questions.first(), number=4)
    return round_
