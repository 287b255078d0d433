"""Coaching: the participant's line manager or mentor in the loop (the "20%" of 70/20/10).

Who coaches whom is `cohorts.Enrolment.coach` (the roster import sets it, and cohorts cannot import
this app). Here live the cohort's coaching prompts at its booster points and the coaches'
observations of behaviour (Kirkpatrick level 3 by observation), both due rows of the one engine.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cohorts.models import Cohort, Enrolment
from notifications.scheduling import DueRow, DueStatus
from socialtraining import clock


class CoachingBooster(DueRow):
    """At one booster point of a cohort, one email and in-app item per coach for all their people,
    each with a conversation starter built from `starter` and that person's recent answers."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="coaching_boosters")
    offset_days = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=50)
    # Instructors edit it; `{name}` and `{objective}` are filled in for each person.
    starter = models.TextField()
    sent_at = models.DateTimeField(null=True, blank=True)
    coaches_told = models.PositiveIntegerField(default=0)

    class Meta(DueRow.Meta):
        ordering = ["offset_days"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "offset_days"], name="one_booster_per_day")
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="coachingbooster_status_due")]

    def __str__(self) -> str:
        return f"{self.cohort}: coaching prompt {self.label}"

    @property
    def editable(self) -> bool:
        """Its starter may change until a worker takes it to send (or it is skipped)."""
        return self.status == DueStatus.PENDING


class ObservationStep(models.TextChoices):
    OPEN = "open", "Ask the coaches"
    REMIND = "remind", "Remind coaches who have not answered"


class ObservationRound(DueRow):
    """At +30/+60/+90 days each coach rates, per learning objective, how often they saw each of
    their people apply it; one reminder to those who have not answered."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="observation_rounds")
    offset_days = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=50)
    step = models.CharField(max_length=8, choices=ObservationStep.choices, default="open")
    opened_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta(DueRow.Meta):
        ordering = ["offset_days"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "offset_days"], name="one_observation_round_per_day"
            )
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="observround_status_due")]

    def __str__(self) -> str:
        return f"{self.cohort}: observations {self.label}"


class Frequency(models.IntegerChoices):
    NEVER = 0, "Never"
    ONCE = 1, "Once"
    A_FEW_TIMES = 2, "A few times"
    ROUTINELY = 3, "Routinely"


class Observation(models.Model):
    """How often a coach saw one person apply one learning objective, as of one round."""

    round = models.ForeignKey(
        ObservationRound, on_delete=models.CASCADE, related_name="observations"
    )
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="observations")
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    objective = models.CharField(max_length=200)
    frequency = models.PositiveSmallIntegerField(choices=Frequency.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["round", "objective"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "enrolment", "objective"], name="one_observation_per_objective"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enrolment_id} · {self.objective}: {self.get_frequency_display()}"
