from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications and outbox"

    def ready(self) -> None:
        from notifications import bundles, jobs, outbox, scheduling, services

        # Email goes out in batches over one SMTP connection, each row committed once sent.
        scheduling.register_due_kind(
            "outbox",
            "notifications.OutboxMessage",
            outbox.outbox_send_batch,
            owns_transactions=True,
        )
        jobs.register_job_kind(services.BUNDLE_JOB, bundles.bundles_send, batch_size=200)
