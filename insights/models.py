"""Rollup tables: what the organisation dashboard shows, computed in bulk by `rollups.py`.

A dashboard over 500 cohorts and millions of activity rows cannot aggregate on every page view,
so Celery beat refreshes these rows (every 10 minutes, `insights.tasks.refresh_rollups`) and the
page reads them with a few small queries. Every row says when it was computed (`refreshed_at`).
"""

from __future__ import annotations

from django.db import models

from accounts.models import Organization
from cohorts.models import Cohort, Phase
from socialtraining import clock


class CohortRollupQuerySet(models.QuerySet["CohortRollup"]):
    def for_organization(self, organization: Organization) -> CohortRollupQuerySet:
        return self.filter(organization=organization)


class CohortRollup(models.Model):
    """One cohort's numbers for the organisation dashboard, as of `refreshed_at`."""

    cohort = models.OneToOneField(
        Cohort, on_delete=models.CASCADE, primary_key=True, related_name="rollup"
    )
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    phase = models.CharField(max_length=20, choices=Phase.choices)
    first_session_start = models.DateTimeField(null=True, blank=True)
    last_session_end = models.DateTimeField(null=True, blank=True)
    participants = models.PositiveIntegerField(default=0)
    # Participants who posted, reacted, read a thread, answered a spark or a survey in 14 days.
    active_participants = models.PositiveIntegerField(default=0)
    participant_posts = models.PositiveIntegerField(default=0)
    survey_invitations = models.PositiveIntegerField(default=0)
    survey_responses = models.PositiveIntegerField(default=0)
    nps_answers = models.PositiveIntegerField(default=0)
    sparks_sent = models.PositiveIntegerField(default=0)
    sparks_answered = models.PositiveIntegerField(default=0)
    # Derived once here, so the table sorts in the database.
    participation_percent = models.FloatField(null=True, blank=True)
    posts_per_participant = models.FloatField(null=True, blank=True)
    response_rate_percent = models.FloatField(null=True, blank=True)
    nps = models.SmallIntegerField(null=True, blank=True)
    knowledge_after_percent = models.FloatField(null=True, blank=True)
    knowledge_latest_percent = models.FloatField(null=True, blank=True)
    knowledge_latest_week = models.SmallIntegerField(null=True, blank=True)
    retained_percent = models.FloatField(null=True, blank=True)
    spark_answer_rate_percent = models.FloatField(null=True, blank=True)
    # Participants with an active coach (coaching.selectors.ACTIVE_COACH), and what coached and
    # uncoached people kept of their knowledge-check score (latest over right after).
    coached_participants = models.PositiveIntegerField(default=0)
    coached_percent = models.FloatField(null=True, blank=True)
    coached_retained_percent = models.FloatField(null=True, blank=True)
    uncoached_retained_percent = models.FloatField(null=True, blank=True)
    refreshed_at = models.DateTimeField(default=clock.now)

    objects = CohortRollupQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["organization", "phase"])]

    def __str__(self) -> str:
        return f"Rollup of cohort {self.cohort_id} at {self.refreshed_at:%Y-%m-%d %H:%M}"


class RetentionPoint(models.Model):
    """Knowledge points scored and possible in one week after a cohort's workshop.

    Week 0 is the first seven days after the last session; negative weeks are before it (the
    pre-workshop baseline). Points add knowledge-check scores and knowledge-spark answers (one
    point each), so averaging over cohorts weighs every answer the same.
    """

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="retention_points")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    week = models.SmallIntegerField()
    points = models.PositiveIntegerField()
    possible = models.PositiveIntegerField()
    refreshed_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["cohort_id", "week"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "week"], name="one_retention_point_per_week")
        ]
        indexes = [models.Index(fields=["organization", "week"])]

    def __str__(self) -> str:
        return f"Cohort {self.cohort_id}, week {self.week}: {self.points}/{self.possible}"

    @property
    def percent(self) -> float | None:
        return round(100 * self.points / self.possible, 1) if self.possible else None


class ConfidentWrongAlert(models.Model):
    """Many in a cohort were sure of a wrong answer to one knowledge spark or survey question.

    Found by `insights.confident_wrong.confident_wrong_scan`; at most one per spark and one per
    survey question and round, so instructors hear of each once. `thread` is the discussion an
    instructor started about it in one click.
    """

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="+")
    spark = models.ForeignKey(
        "sparks.Spark", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    question = models.ForeignKey(
        "surveys.Question", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    round = models.ForeignKey(
        "surveys.Round", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # When found: answers so far and how many of them were wrong and sure.
    answers = models.PositiveIntegerField()
    confident_wrong = models.PositiveIntegerField()
    detected_at = models.DateTimeField(default=clock.now)
    thread = models.ForeignKey(
        "discussions.Thread", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-detected_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["spark"],
                condition=models.Q(spark__isnull=False),
                name="one_confident_wrong_alert_per_spark",
            ),
            models.UniqueConstraint(
                fields=["question", "round"],
                condition=models.Q(question__isnull=False),
                name="one_confident_wrong_alert_per_question_round",
            ),
            models.CheckConstraint(
                condition=models.Q(spark__isnull=False, question__isnull=True)
                | models.Q(spark__isnull=True, question__isnull=False, round__isnull=False),
                name="confident_wrong_alert_about_one_thing",
            ),
        ]

    def __str__(self) -> str:
        return f"Confident and wrong in {self.cohort_id}: {self.confident_wrong}/{self.answers}"

    @property
    def share_percent(self) -> int:
        return round(100 * self.confident_wrong / self.answers) if self.answers else 0
