"""The LTI 1.3 tool: registered platforms (LMSs), their courses, links, people and sync jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.models import Organization
from cohorts.models import Cohort
from notifications.scheduling import DueRow
from socialtraining import clock, encryption
from surveys.models import Round


class LtiPlatform(models.Model):
    """An LMS registration of this tool for one organisation (issuer + client id)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="lti_platforms"
    )
    name = models.CharField(max_length=100)
    issuer = models.CharField("issuer", max_length=255)
    client_id = models.CharField("client ID", max_length=255)
    # Deployment ids the platform may launch from, one per line in the form.
    deployment_ids = models.JSONField(default=list)
    auth_login_url = models.URLField("platform authentication URL", max_length=500)
    auth_token_url = models.URLField("platform access token URL", max_length=500)
    auth_audience = models.CharField(max_length=500, blank=True)
    key_set_url = models.URLField("platform public keys (JWKS) URL", max_length=500)
    # The tool's own RSA key for this platform, generated on creation; encrypted at rest.
    tool_private_key_encrypted = models.TextField()
    tool_key_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "client_id"], name="lti_platform_once")
        ]

    def __str__(self) -> str:
        return self.name

    def tool_private_key(self) -> str:
        return encryption.decrypt(self.tool_private_key_encrypted)


class LtiNonce(models.Model):
    """A launch's nonce, kept once used: the same signed launch sent twice is refused."""

    platform = models.ForeignKey(LtiPlatform, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=255)
    used_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "nonce"], name="lti_nonce_used_once")
        ]

    def __str__(self) -> str:
        return self.nonce


class LtiUser(models.Model):
    """The platform's id (`sub`) of a person, linked to their account here."""

    platform = models.ForeignKey(LtiPlatform, on_delete=models.CASCADE, related_name="users")
    sub = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "sub"], name="lti_user_once_per_platform")
        ]

    def __str__(self) -> str:
        return f"{self.sub} at {self.platform_id}"


class LtiContext(models.Model):
    """An LMS course, linked to the cohort it runs in."""

    platform = models.ForeignKey(LtiPlatform, on_delete=models.CASCADE, related_name="contexts")
    context_id = models.CharField(max_length=255)
    title = models.CharField(max_length=255, blank=True)
    cohort = models.ForeignKey(
        Cohort, on_delete=models.SET_NULL, null=True, blank=True, related_name="lti_contexts"
    )
    deployment_id = models.CharField(max_length=255, blank=True)
    # Names and Role Provisioning Services endpoint, from the latest launch.
    memberships_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "context_id"], name="lti_context_once_per_platform"
            )
        ]

    def __str__(self) -> str:
        return self.title or self.context_id


class Target(models.TextChoices):
    COHORT = "cohort", "The cohort's page"
    ROUND = "round", "A survey round"
    SPARKS = "sparks", "The sparks inbox"


class LtiResourceLink(models.Model):
    """A link placed in a course (by deep linking) and what it opens here."""

    context = models.ForeignKey(LtiContext, on_delete=models.CASCADE, related_name="links")
    resource_link_id = models.CharField(max_length=255)
    title = models.CharField(max_length=255, blank=True)
    target = models.CharField(max_length=10, choices=Target.choices, default=Target.COHORT)
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="+")
    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # Assignment and Grade Services: the gradebook column this link's scores go to.
    lineitem_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["context", "resource_link_id"], name="lti_link_once_per_context"
            )
        ]

    def __str__(self) -> str:
        return self.title or self.resource_link_id


class RosterStatus(models.TextChoices):
    ACTIVE = "active", "In the course"
    REMOVED = "removed", "Removed from the course"


class LtiRosterEntry(models.Model):
    """A person of a course's roster as the LMS last said; a removal is marked, never deleted."""

    context = models.ForeignKey(LtiContext, on_delete=models.CASCADE, related_name="roster")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=20)
    status = models.CharField(
        max_length=10, choices=RosterStatus.choices, default=RosterStatus.ACTIVE
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["context", "user"], name="lti_roster_once_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.context_id}: {self.status}"


class LtiRosterSync(DueRow):
    """The due row that syncs one course's roster from NRPS, again every LTI_ROSTER_SYNC_HOURS."""

    context = models.OneToOneField(LtiContext, on_delete=models.CASCADE, related_name="sync")
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_added = models.PositiveIntegerField(default=0)
    last_removed = models.PositiveIntegerField(default=0)

    class Meta(DueRow.Meta):
        pass


class LtiGradeSync(DueRow):
    """The due row that sends a link's scores (round or participation) to the LMS gradebook."""

    link = models.OneToOneField(LtiResourceLink, on_delete=models.CASCADE, related_name="grades")
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_sent = models.PositiveIntegerField(default=0)

    class Meta(DueRow.Meta):
        pass


class LtiScore(models.Model):
    """The score last sent to the gradebook for a person and link: sent again only if it changed."""

    link = models.ForeignKey(LtiResourceLink, on_delete=models.CASCADE, related_name="scores")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    score_given = models.PositiveIntegerField()
    score_maximum = models.PositiveIntegerField()
    sent_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["link", "user"], name="lti_score_once_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.score_given}/{self.score_maximum}"


class LtiDeepLinkRequest(models.Model):
    """A validated deep-linking launch waiting for the instructor's choice.

    Its random token is the only key to answer it: the choice is posted from inside the LMS's
    frame, where our CSRF cookie may be withheld as a third-party cookie.
    """

    token = models.CharField(max_length=64, unique=True)
    platform = models.ForeignKey(LtiPlatform, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    deployment_id = models.CharField(max_length=255)
    context = models.ForeignKey(LtiContext, on_delete=models.CASCADE, null=True, related_name="+")
    settings = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=clock.now)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Deep link by {self.user_id}"
