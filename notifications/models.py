from __future__ import annotations

from django.conf import settings
from django.db import models

from notifications.scheduling import DueRow
from socialtraining import clock


class Notification(models.Model):
    """An in-app notification: shown in the list, counted while unread."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # Makes a second notification of the same event to the same person impossible.
    key = models.CharField(max_length=200)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_notification_per_event")
        ]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.title


class OutboxMessage(DueRow):
    """One email to one address. Sent by a task after commit; retried by the due-row sweep."""

    idempotency_key = models.CharField(max_length=200, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_email = models.EmailField()
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    # Extra mail headers, such as List-Unsubscribe on the digest.
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta(DueRow.Meta):
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "due_at"], name="outbox_status_due")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_email}"


class NotificationPreference(models.Model):
    """What a person wants by email; in-app notifications are always on.

    A person without a row has the defaults below (everything on), so nobody needs one to start.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    daily_digest = models.BooleanField("Daily digest email", default=True)
    reply_emails = models.BooleanField("Emails for replies in threads I follow", default=True)
    mention_emails = models.BooleanField("Emails when someone mentions me", default=True)
    # The digest covers what happened since the last one sent.
    last_digest_at = models.DateTimeField(null=True, blank=True)

    EMAIL_CHOICES = ("reply_emails", "mention_emails")

    def __str__(self) -> str:
        return f"Preferences of {self.user_id}"

    def wants(self, email_choice: str) -> bool:
        if email_choice not in self.EMAIL_CHOICES:
            raise ValueError(f"No such email preference: {email_choice!r}")
        return getattr(self, email_choice)
