from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.db import models
from django.db.models import Q

from notifications.emails import EmailTemplate
from notifications.scheduling import DueRow
from socialtraining import clock


class EmailKind(models.TextChoices):
    """What a notification is about; each person chooses per kind how its emails come."""

    SPARK = "spark", "Sparks: follow-up questions after a workshop"
    SURVEY = "survey", "Surveys: when one opens, and a reminder"
    PROMPT = "prompt", "New articles and questions from your instructors"
    REPLY = "reply", "Replies and comments in threads you follow"
    MENTION = "mention", "When someone mentions you"
    ACCOUNT = "account", "About you and your posts: enrolments, moderation, nudges"
    COACHING = "coaching", "Coaching: prompts and observations for the people you coach"
    ALERT = "alert", "Alerts about your cohorts: many sure of a wrong answer (instructors)"


class EmailMode(models.TextChoices):
    IMMEDIATELY = "immediately", "Immediately, one email each"
    BUNDLED = "bundled", "Bundled: at most one email an hour listing everything new"
    DAILY = "daily", "In a daily digest"
    NEVER = "never", "Never by email (in the app only)"


# Sparks and survey openings are the push of the product; activity in followed threads is not
# urgent and comes bundled.
DEFAULT_MODES = {
    EmailKind.SPARK: EmailMode.IMMEDIATELY,
    EmailKind.SURVEY: EmailMode.IMMEDIATELY,
    EmailKind.PROMPT: EmailMode.IMMEDIATELY,
    EmailKind.REPLY: EmailMode.BUNDLED,
    EmailKind.MENTION: EmailMode.IMMEDIATELY,
    EmailKind.ACCOUNT: EmailMode.IMMEDIATELY,
    EmailKind.COACHING: EmailMode.IMMEDIATELY,
    # Alerts gather: a scan finding several questions at once makes one email, not several.
    EmailKind.ALERT: EmailMode.BUNDLED,
}


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread_by(self, user) -> NotificationQuerySet:
        """`user`'s notifications not read yet: the navigation's badge counts these."""
        return self.filter(user=user, read_at__isnull=True)


class Notification(models.Model):
    """An in-app notification: shown in the list, counted while unread; emailed as its kind and
    its person's preference say."""

    # No index of its own: the unique (user, key) and (user, read_at) ones serve it.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    # Makes a second notification of the same event to the same person impossible.
    key = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=EmailKind.choices, default=EmailKind.ACCOUNT)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    # What bundles group by (a thread), and what they list of each item.
    topic_key = models.CharField(max_length=100, blank=True)
    topic_title = models.CharField(max_length=300, blank=True)
    actor_name = models.CharField(max_length=200, blank=True)
    excerpt = models.TextField(blank=True)
    # How its email goes (the person's choice when it was made), and when it went.
    email_mode = models.CharField(max_length=12, choices=EmailMode.choices, default=EmailMode.NEVER)
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_notification_per_event")
        ]
        indexes = [
            models.Index(fields=["user", "read_at"]),
            # What waits for a bundle or a digest.
            models.Index(
                fields=["user", "email_mode"],
                condition=Q(emailed_at__isnull=True, email_mode__in=["bundled", "daily"]),
                name="notification_email_waiting",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class OutboxTemplate(models.Model):
    """One notification email rendered for many people, with a slot (`notifications.emails`)
    where each person's own values go. The messages of a send to 5,000 people point here and
    carry only their values: the body is stored once, and every step a message row goes through
    (claimed, taken, sent) rewrites a row of a few hundred bytes rather than the whole email."""

    name = models.CharField(max_length=100, blank=True)
    subject = models.TextField()
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return self.name or f"template {self.pk}"

    @cached_property
    def parsed(self) -> EmailTemplate:
        """The stored text split at its slots, once per loaded row: a batch's messages share it."""
        return EmailTemplate.stored(subject=self.subject, text=self.body_text, html=self.body_html)


class OutboxMessage(DueRow):
    """One email to one address, sent once by the outbox's batch runs (one SMTP connection each).

    The Message-ID is built from the idempotency key, so if a lost database connection ever makes
    us send a message twice, the receiving server can recognise the repeat. Its text is either its
    own (`body_text`, `body_html`: a sign-in code, a digest) or a shared `template` filled with its
    `values`; `content()` gives it either way.
    """

    idempotency_key = models.CharField(max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_email = models.EmailField()
    subject = models.CharField(max_length=300)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    template = models.ForeignKey(
        OutboxTemplate, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # This message's values for the template's slots (its name, its signed links).
    values = models.JSONField(default=dict, blank=True)
    # Extra mail headers, such as List-Unsubscribe.
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta(DueRow.Meta):
        ordering = ["-created_at"]
        # A constraint rather than `unique=True`, which would add a second index for LIKE
        # lookups that nothing makes: each index costs every insert and every status change.
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="one_outbox_message_per_key")
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="outbox_status_due")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_email}"

    def content(self) -> dict[str, str]:
        """Subject and both bodies as sent: its own, or its template filled with its values."""
        if self.template_id is None:
            own = ("subject", "body_text", "body_html")
            return {name: getattr(self, name) for name in own}
        return self.template.parsed.fill(self.values)


def _email_mode_field(kind: EmailKind) -> models.CharField:
    """A person's choice of how emails of `kind` come, labelled with the kind."""
    return models.CharField(
        kind.label, max_length=12, choices=EmailMode.choices, default=DEFAULT_MODES[kind]
    )


class NotificationPreference(models.Model):
    """How a person wants each kind of notification by email; in-app notifications are always on.

    A person without a row has DEFAULT_MODES, so nobody needs one to start.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    spark_email = _email_mode_field(EmailKind.SPARK)
    survey_email = _email_mode_field(EmailKind.SURVEY)
    prompt_email = _email_mode_field(EmailKind.PROMPT)
    reply_email = _email_mode_field(EmailKind.REPLY)
    mention_email = _email_mode_field(EmailKind.MENTION)
    account_email = _email_mode_field(EmailKind.ACCOUNT)
    coaching_email = _email_mode_field(EmailKind.COACHING)
    alert_email = _email_mode_field(EmailKind.ALERT)
    # The digest covers what waited for it since the last one sent.
    last_digest_at = models.DateTimeField(null=True, blank=True)

    FIELDS = {kind: f"{kind}_email" for kind in EmailKind}

    def __str__(self) -> str:
        return f"Preferences of {self.user_id}"

    def mode_for(self, kind: str) -> str:
        return getattr(self, self.FIELDS[EmailKind(kind)])


class Job(DueRow):
    """Background work of the other apps as a due row, one per (kind, target): a roster import, an
    organisation's LRS push, the fan-out of a post to its thread's followers, a person's bundle of
    notification emails. Each kind is registered as a due kind of its own (`only={"kind": …}`)."""

    kind = models.CharField(max_length=40)
    target_id = models.BigIntegerField()
    created_at = models.DateTimeField(default=clock.now)

    class Meta(DueRow.Meta):
        constraints = [
            models.UniqueConstraint(fields=["kind", "target_id"], name="one_job_per_target")
        ]
        indexes = [models.Index(fields=["kind", "status", "due_at"], name="job_kind_status_due")]

    def __str__(self) -> str:
        return f"{self.kind} {self.target_id} ({self.status})"
