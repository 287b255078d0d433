"""Surveys: definitions (questions, choices, correct answers), rounds on a cohort's timeline,
responses and their scores."""

from __future__ import annotations

from datetime import datetime, time

from django.conf import settings
from django.db import models
from django.db.models import Q

from cohorts.models import Cohort
from cohorts.timeline import ROUND_ANCHORS, Anchor
from notifications.scheduling import DueRow
from socialtraining import clock


class Purpose(models.TextChoices):
    """Kirkpatrick's levels: what the survey measures."""

    REACTION = "reaction", "Reaction (level 1)"
    KNOWLEDGE = "knowledge", "Knowledge check (level 2)"
    BEHAVIOUR = "behaviour", "Behaviour (level 3)"


class QuestionKind(models.TextChoices):
    LIKERT = "likert", "Likert scale (1 to 5)"
    NPS = "nps", "Net Promoter Score (0 to 10)"
    SINGLE = "single", "Single choice"
    MULTIPLE = "multiple", "Multiple choice"
    TEXT = "text", "Free text"
    KNOWLEDGE = "knowledge", "Knowledge question (scored)"


CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.KNOWLEDGE)
SCALE_BOUNDS = {QuestionKind.LIKERT: (1, 5), QuestionKind.NPS: (0, 10)}
# The longest free-text answer kept; a longer one is refused with its length, never cut short.
TEXT_ANSWER_MAX_LENGTH = 5000
CONFIDENCE_LEVELS = {
    1: "Guessing",
    2: "Not sure",
    3: "Fairly sure",
    4: "Certain",
}


class Survey(models.Model):
    """A survey built for one cohort; copied, never shared, so each cohort's answers keep their
    meaning."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="surveys")
    title = models.CharField(max_length=200)
    intro = models.TextField("Introduction", blank=True)
    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.REACTION)
    anonymous = models.BooleanField(
        default=False,
        help_text=(
            "Instructors and managers see only totals, and only once at least "
            "5 people have answered. Participants are told so on the form."
        ),
    )
    show_feedback = models.BooleanField(
        "Show score and explanations after submitting",
        default=True,
    )
    # A survey whose stored answers would change meaning is versioned: the new version links back.
    previous_version = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveSmallIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title if self.version == 1 else f"{self.title} (version {self.version})"

    @property
    def is_scored(self) -> bool:
        return self.questions.filter(kind=QuestionKind.KNOWLEDGE).exists()


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=QuestionKind.choices)
    text = models.CharField("Question", max_length=500)
    help_text = models.CharField(max_length=300, blank=True)
    required = models.BooleanField(default=True)
    # Knowledge questions: several correct answers (tick all that apply) or exactly one.
    multiple_correct = models.BooleanField(default=False)
    ask_confidence = models.BooleanField("Ask “how sure are you?”", default=False)
    explanation = models.TextField(blank=True, help_text="Shown after answering.")
    # What a knowledge question tests, so results show which objective fades first.
    objective = models.CharField("Learning objective", max_length=200, blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text

    @property
    def has_choices(self) -> bool:
        return self.kind in CHOICE_KINDS

    @property
    def allows_several(self) -> bool:
        return self.kind == QuestionKind.MULTIPLE or (
            self.kind == QuestionKind.KNOWLEDGE and self.multiple_correct
        )

    @property
    def scale(self) -> range | None:
        bounds = SCALE_BOUNDS.get(self.kind)
        return range(bounds[0], bounds[1] + 1) if bounds else None


class AnswerChoice(models.Model):
    """One of the answers offered by a question with choices: a survey question's (`Choice`) or a
    spark's (`sparks.SparkChoice`), in the order shown."""

    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=300)
    is_correct = models.BooleanField(default=False)

    class Meta:
        abstract = True
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text


class Choice(AnswerChoice):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")


class RoundStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class Round(models.Model):
    """A survey put to a cohort's participants at one point of its timeline."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="rounds")
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="survey_rounds")
    label = models.CharField(max_length=100, help_text="For example “Right after” or “+30 days”.")
    anchor = models.CharField(max_length=12, choices=ROUND_ANCHORS, default=Anchor.AFTER_LAST)
    offset_days = models.PositiveSmallIntegerField(default=0)
    release_time = models.TimeField("Local time", default=time(9, 0))
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    # One reminder to those who have not answered, this many days after opening; None: none.
    remind_after_days = models.PositiveSmallIntegerField(null=True, blank=True, default=3)
    status = models.CharField(
        max_length=10, choices=RoundStatus.choices, default=RoundStatus.SCHEDULED
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["opens_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="round_closes_after_opening"
            )
        ]

    def __str__(self) -> str:
        return f"{self.survey} · {self.label}"

    def accepts_answers_at(self, now: datetime) -> bool:
        return self.status == RoundStatus.OPEN and self.opens_at <= now < self.closes_at


class RoundStep(models.TextChoices):
    OPEN = "open", "Open and notify participants"
    REMIND = "remind", "Remind those who have not answered"
    CLOSE = "close", "Close"


class RoundEvent(DueRow):
    """One step of a round (open, remind, close), released by the minute dispatcher."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="events")
    step = models.CharField(max_length=10, choices=RoundStep.choices)

    class Meta(DueRow.Meta):
        constraints = [
            models.UniqueConstraint(fields=["round", "step"], name="one_event_per_round_step")
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="roundevent_status_due")]

    def __str__(self) -> str:
        return f"{self.round}: {self.get_step_display()}"


class ResponseStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


class Response(models.Model):
    """One participant's answers to one round: a draft saved as they go, then submitted (final)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="responses")
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_responses"
    )
    status = models.CharField(
        max_length=10, choices=ResponseStatus.choices, default=ResponseStatus.DRAFT
    )
    started_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Knowledge questions answered correctly, of those asked; None for unscored surveys.
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    max_score = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "participant"], name="one_response_per_round")
        ]
        indexes = [models.Index(fields=["round", "status"])]

    def __str__(self) -> str:
        return f"{self.participant_id} in {self.round}"

    @property
    def score_percent(self) -> float | None:
        if not self.max_score or self.score is None:
            return None
        return round(100 * self.score / self.max_score, 1)


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    # Likert 1 to 5 and NPS 0 to 10.
    number = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)
    choices = models.ManyToManyField(Choice, blank=True, related_name="answers")
    confidence = models.PositiveSmallIntegerField(null=True, blank=True)
    # Knowledge questions: set on submission, so results aggregate in the database.
    is_correct = models.BooleanField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="one_answer_per_question")
        ]

    def __str__(self) -> str:
        return f"Answer to {self.question_id}"
