from django.contrib import admin

from notifications.models import Notification, OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["subject", "to_email", "status", "attempts", "due_at", "done_at"]
    list_filter = ["status"]
    search_fields = ["to_email", "subject", "idempotency_key"]
    raw_id_fields = ["user"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "created_at", "read_at"]
    raw_id_fields = ["user"]
