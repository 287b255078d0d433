"""Sparks: follow-up questions pushed to each participant weeks after the workshop, delivered
exactly once, repeated while they are not yet learned, answered into a discussion."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q

from cohorts.models import Cohort, StudyGroup
from discussions.models import Thread
from notifications.scheduling import DueRow
from socialtraining import clock
from surveys.models import AnswerChoice

CONFIDENCE_CHOICES = [(1, "Guessing"), (2, "Not sure"), (3, "Fairly sure"), (4, "Certain")]


class SparkKind(models.TextChoices):
    OPEN = "open", "Open question"
    KNOWLEDGE = "knowledge", "Knowledge question"


class SparkTarget(models.TextChoices):
    COHORT = "cohort", "The whole cohort"
    GROUPS = "groups", "Each study group (answers discussed in the group)"


class RepeatMode(models.TextChoices):
    """How knowledge sparks come back (named as the instructor's choice reads in the UI)."""

    UNTIL_MASTERED = "mastered", "Repeat until mastered"
    MISSED = "missed", "Repeat only missed or wrong answers, once"
    NONE = "none", "No repeats"


class SparkSchedule(models.Model):
    """A cohort's spark settings: the local send window, its weekdays and the repeat mode."""

    cohort = models.OneToOneField(Cohort, on_delete=models.CASCADE, related_name="spark_schedule")
    window_start = models.TimeField(default=time(9, 0))
    window_end = models.TimeField(default=time(17, 0))
    # ISO weekdays (1 = Monday) on which sparks may arrive, e.g. "12345".
    weekdays = models.CharField(max_length=7, default="12345")
    repeat_mode = models.CharField(
        max_length=10, choices=RepeatMode.choices, default=RepeatMode.UNTIL_MASTERED
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(window_end__gt=models.F("window_start")),
                name="spark_window_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return f"Spark schedule of {self.cohort}"

    @property
    def allowed_weekdays(self) -> set[int]:
        return {int(day) for day in self.weekdays if day.isdigit() and 1 <= int(day) <= 7}


class Spark(models.Model):
    """One question, sent `offset_days` after the workshop's last session."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="sparks")
    kind = models.CharField(max_length=10, choices=SparkKind.choices, default=SparkKind.OPEN)
    question = models.CharField(max_length=500)
    explanation = models.TextField(blank=True, help_text="Shown after answering.")
    objective = models.CharField("Learning objective", max_length=200, blank=True)
    ask_confidence = models.BooleanField("Ask “how sure are you?”", default=False)
    offset_days = models.PositiveSmallIntegerField(help_text="Days after the last session.")
    target = models.CharField(
        max_length=10, choices=SparkTarget.choices, default=SparkTarget.COHORT
    )
    # A participant's post an instructor turned into this spark.
    source_post = models.ForeignKey(
        "discussions.Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["offset_days", "pk"]

    def __str__(self) -> str:
        return self.question


class SparkChoice(AnswerChoice):
    spark = models.ForeignKey(Spark, on_delete=models.CASCADE, related_name="choices")


class SparkThread(models.Model):
    """Where a spark's answers are discussed: one thread per spark in each space it goes to."""

    spark = models.ForeignKey(Spark, on_delete=models.CASCADE, related_name="threads")
    study_group = models.ForeignKey(
        StudyGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    thread = models.OneToOneField(Thread, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["spark", "study_group"],
                condition=Q(study_group__isnull=False),
                name="one_spark_thread_per_group",
            ),
            models.UniqueConstraint(
                fields=["spark"],
                condition=Q(study_group__isnull=True),
                name="one_cohort_spark_thread",
            ),
        ]

    def __str__(self) -> str:
        return f"Thread of {self.spark}"


class SparkSettings(models.Model):
    """A participant's choices for one cohort's sparks: a vacation hold or opting out."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    paused_until = models.DateTimeField(null=True, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cohort", "user"], name="one_spark_settings_per_cohort")
        ]

    def __str__(self) -> str:
        return f"Spark settings of {self.user_id} in {self.cohort_id}"


class DeliveryStep(models.TextChoices):
    SEND = "send", "Send"
    REMIND = "remind", "Remind"
    EXPIRE = "expire", "Expire"


class DeliveryOutcome(models.TextChoices):
    WAITING = "waiting", "Not answered yet"
    ANSWERED = "answered", "Answered"
    MISSED = "missed", "Missed (expired)"
    CANCELLED = "cancelled", "Cancelled"


# The retention probe of a lift study is ask number 0 of its spark: apart from the first ask (1)
# and its repeats (2, 3...), never repeated itself and never counted as practice.
PROBE_ATTEMPT = 0


class Delivery(DueRow):
    """One ask of one spark to one participant: sent, reminded once, then expired unless answered.

    The row comes due for each step in turn (`step`); `attempt` counts asks of the same spark to
    the same person (repeats are new rows; PROBE_ATTEMPT is a lift study's retention probe), and
    the unique constraint makes a second delivery of the same ask impossible.
    """

    # No index of their own: the unique (spark, participant, attempt) and the (participant,
    # outcome) ones serve them, and each index costs every step of every delivery.
    spark = models.ForeignKey(
        Spark, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="spark_deliveries",
        db_index=False,
    )
    attempt = models.PositiveSmallIntegerField(default=1)
    step = models.CharField(max_length=8, choices=DeliveryStep.choices, default=DeliveryStep.SEND)
    outcome = models.CharField(
        max_length=10, choices=DeliveryOutcome.choices, default=DeliveryOutcome.WAITING
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta(DueRow.Meta):
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["spark", "participant", "attempt"], name="one_delivery_per_ask"
            )
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="delivery_status_due"),
            models.Index(fields=["participant", "outcome"], name="delivery_participant_outcome"),
        ]

    def __str__(self) -> str:
        return f"{self.spark} → {self.participant_id} (ask {self.attempt})"

    @property
    def is_probe(self) -> bool:
        return self.attempt == PROBE_ATTEMPT


class SparkAnswer(models.Model):
    delivery = models.OneToOneField(Delivery, on_delete=models.CASCADE, related_name="answer")
    text = models.TextField(blank=True)
    choices = models.ManyToManyField(SparkChoice, blank=True, related_name="answers")
    confidence = models.PositiveSmallIntegerField(null=True, blank=True)
    is_correct = models.BooleanField(null=True, blank=True)
    # The answer as posted into the spark's thread, where the discussion happens.
    post = models.ForeignKey(
        "discussions.Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"Answer to delivery {self.delivery_id}"


class LiftStudy(models.Model):
    """ "Measure the lift" in one cohort: a within-learner experiment on its knowledge sparks.

    Each participant's learning objectives are split at random into a boosted half (knowledge
    sparks as planned) and a held-out half (no knowledge sparks on them for that person), from
    `seed` (`sparks.lift_design`). The design follows the roster until the cohort's first ask is
    sent; from then on it is fixed (`LiftAssignment` rows never change; later participants get a
    half of their own). A retention probe asks everyone about every objective between +30 and
    +90 days. Instructors see the design; participants never do.
    """

    cohort = models.OneToOneField(Cohort, on_delete=models.CASCADE, related_name="lift_study")
    seed = models.CharField(max_length=32)
    # The objectives the study covers, as they were when the design was fixed.
    objectives = models.JSONField(default=list)
    started_at = models.DateTimeField(default=clock.now)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # When the first ask went out and the design became fixed (null while it may still change).
    fixed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "lift studies"

    def __str__(self) -> str:
        return f"Lift study of {self.cohort}"


class LiftAssignment(models.Model):
    """Whether one objective is boosted or held out for one participant of a lift study."""

    study = models.ForeignKey(LiftStudy, on_delete=models.CASCADE, related_name="assignments")
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    objective = models.CharField(max_length=200)
    boosted = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["study", "participant", "objective"], name="one_lift_assignment"
            )
        ]

    def __str__(self) -> str:
        side = "boosted" if self.boosted else "held out"
        return f"{self.objective} {side} for {self.participant_id}"
