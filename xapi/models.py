"""An organisation's Learning Record Store and how far its statements have been pushed there."""

from __future__ import annotations

from django.db import models

from accounts.models import Organization
from socialtraining import clock


class Source(models.TextChoices):
    """Where statements come from; each has its own cursor, because each is ordered on its own."""

    POSTS = "posts", "Posts (shared, commented)"
    REACTIONS = "reactions", "Reactions (liked)"
    SPARK_ANSWERS = "spark_answers", "Spark answers (answered)"
    SURVEY_RESPONSES = "survey_responses", "Survey responses (completed)"


class LrsConfig(models.Model):
    """Where an organisation's statements go, with the state of the last push."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="lrs_config"
    )
    endpoint = models.URLField("LRS endpoint", max_length=500)
    username = models.CharField("Key or username", max_length=200)
    # Write-only in the form: never rendered back to anyone.
    secret = models.CharField(max_length=500)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    # Set when the LRS refused a batch (4xx): pushing waits for a manager to save the settings.
    halted_at = models.DateTimeField(null=True, blank=True)
    # Pushes in a row that could not reach the LRS: each waits longer before the next try.
    unreachable_count = models.PositiveSmallIntegerField(default=0)
    pushed_count = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "LRS configuration"

    def __str__(self) -> str:
        return f"LRS of {self.organization} at {self.endpoint}"

    @property
    def statements_url(self) -> str:
        return self.endpoint.rstrip("/") + "/statements"


class LrsCursor(models.Model):
    """The last row of one source that the organisation's LRS accepted.

    Posts, reactions and spark answers are written once, so their primary key orders them; a survey
    response is created as a draft and submitted later, so it is ordered by (submitted_at, pk).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=20, choices=Source.choices)
    last_pk = models.BigIntegerField(default=0)
    last_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "source"], name="one_xapi_cursor_per_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.source} after {self.last_pk}"
