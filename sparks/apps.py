from django.apps import AppConfig


class SparksConfig(AppConfig):
    name = "sparks"
    verbose_name = "Sparks"

    def ready(self) -> None:
        from cohorts import hooks
        from notifications import scheduling
        from sparks import delivery, planning

        # Each ask is sent, reminded and expired by the due-row engine, a batch at a time.
        scheduling.register_due_kind("spark_delivery", "sparks.Delivery", delivery.deliveries_step)
        # Asks counted from the workshop move when its sessions do (see cohorts.hooks).
        hooks.on_schedule_changed(planning.sparks_follow_schedule)
