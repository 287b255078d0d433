from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications and outbox"

    def ready(self) -> None:
        from notifications import scheduling, tasks

        scheduling.register_due_kind(
            "outbox", "notifications.OutboxMessage", tasks.send_outbox_message
        )
