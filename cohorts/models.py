from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, Max, Min, OuterRef

from accounts.models import Invitation, Organization
from socialtraining import clock


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a time zone name such as Europe/Paris.")


class Phase(models.TextChoices):
    NOT_SCHEDULED = "not_scheduled", "Not scheduled"
    BEFORE = "before", "Before class"
    WORKSHOP = "workshop", "Workshop"
    AFTER = "after", "After class"
    COMPLETED = "completed", "Completed"


class CohortQuerySet(models.QuerySet["Cohort"]):
    def with_schedule(self) -> CohortQuerySet:
        """Annotate first session start and last session end, from which the phase derives."""
        return self.annotate(
            first_session_start=Min("sessions__starts_at"),
            last_session_end=Max("sessions__ends_at"),
        )


class Cohort(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="cohorts")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    time_zone = models.CharField(
        max_length=64, default="Europe/London", validators=[validate_time_zone]
    )
    # After the last session, how long follow-up (sparks, surveys, study groups) runs.
    follow_up_days = models.PositiveSmallIntegerField(default=90)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    objects = CohortQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def _schedule(self) -> tuple[datetime | None, datetime | None]:
        if hasattr(self, "first_session_start"):
            return self.first_session_start, self.last_session_end
        bounds = self.sessions.aggregate(start=Min("starts_at"), end=Max("ends_at"))
        return bounds["start"], bounds["end"]

    def phase_at(self, now: datetime) -> Phase:
        start, end = self._schedule()
        if start is None:
            return Phase.NOT_SCHEDULED
        if now < start:
            return Phase.BEFORE
        if now <= end:
            return Phase.WORKSHOP
        if now <= end + timedelta(days=self.follow_up_days):
            return Phase.AFTER
        return Phase.COMPLETED

    @property
    def phase(self) -> Phase:
        return self.phase_at(clock.now())

    @property
    def first_start(self) -> datetime | None:
        return self._schedule()[0]

    @property
    def last_end(self) -> datetime | None:
        return self._schedule()[1]


class WorkshopSession(models.Model):
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(max_length=200, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="session_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.title or f"Session on {self.starts_at:%Y-%m-%d}"


class StudyGroup(models.Model):
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="study_groups")
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "name"], name="study_group_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class CohortRole(models.TextChoices):
    INSTRUCTOR = "instructor", "Instructor"
    PARTICIPANT = "participant", "Participant"


class EnrolmentQuerySet(models.QuerySet["Enrolment"]):
    def awaiting_invitation(self) -> EnrolmentQuerySet:
        """People enrolled by email who have not accepted their invitation to the organisation
        yet: they have no account they can sign in with, so rates should not count them."""
        pending = Invitation.objects.unfinished().filter(
            organization_id=OuterRef("cohort__organization_id"),
            email__iexact=OuterRef("user__email"),
        )
        return self.filter(Exists(pending))


class Enrolment(models.Model):
    """A person in a cohort, as instructor or participant; a participant is in at most one group."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="enrolments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments"
    )
    role = models.CharField(
        max_length=20, choices=CohortRole.choices, default=CohortRole.PARTICIPANT
    )
    study_group = models.ForeignKey(
        StudyGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="enrolments"
    )
    # The participant's line manager or mentor for this cohort (the coaching app); a coach may
    # coach people in several cohorts and needs no other role.
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="coached_enrolments",
    )
    coach_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        ordering = ["user__display_name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "user"], name="one_enrolment_per_cohort"),
            models.CheckConstraint(
                condition=models.Q(role="participant") | models.Q(study_group__isnull=True),
                name="only_participants_in_groups",
            ),
            models.CheckConstraint(
                condition=models.Q(coach__isnull=True)
                | (models.Q(role="participant") & ~models.Q(coach=models.F("user"))),
                name="only_participants_coached_by_another",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.cohort} ({self.role})"


class RosterImport(models.Model):
    """An uploaded roster CSV: previewed first, imported only on confirmation."""

    class Status(models.TextChoices):
        PREVIEW = "preview", "Waiting for confirmation"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="roster_imports")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    filename = models.CharField(max_length=255)
    # The parsed good rows, so confirming imports exactly what the preview showed.
    rows = models.JSONField(default=list)
    errors = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    total_rows = models.PositiveIntegerField(default=0)
    # Counts of `rows` and `errors`, so the progress poll need not load either list.
    importable_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    enrolled_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Who confirmed a background import: it runs, chunk after chunk, with their access.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} → {self.cohort}"

    @property
    def is_in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def progress_percent(self) -> int:
        if not self.importable_count:
            return 100
        return round(100 * self.processed_rows / self.importable_count)
