from django.db import models
from django.utils import timezone

from accounts.models import Organization


class LrsEndpoint(models.Model):
    """An organisation's Learning Record Store: where its statements are pushed."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="lrs_endpoint"
    )
    url = models.URLField("Endpoint URL", max_length=500)
    username = models.CharField("Key or username", max_length=200)
    # Kept as given because the LRS needs it back; never shown in a form or a page.
    password = models.CharField("Secret or password", max_length=500)
    enabled = models.BooleanField(default=True)
    # Set when the LRS refused a batch (4xx): pushing stops until a manager saves or retries.
    halted_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    pushed_count = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"LRS of {self.organization}"

    @property
    def statements_url(self) -> str:
        return self.url.rstrip("/") + "/statements"


class LrsCursor(models.Model):
    """How far the push got in one statement source: rows up to `last_pk` were accepted."""

    endpoint = models.ForeignKey(LrsEndpoint, on_delete=models.CASCADE, related_name="cursors")
    source = models.CharField(max_length=20)
    last_pk = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "source"], name="one_cursor_per_source")
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} · {self.source} after {self.last_pk}"
