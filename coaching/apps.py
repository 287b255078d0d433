from django.apps import AppConfig


class CoachingConfig(AppConfig):
    name = "coaching"
    verbose_name = "Coaching"

    def ready(self) -> None:
        from coaching import services
        from cohorts import hooks
        from notifications import scheduling

        # Prompts and observation rounds are due rows, a few cohorts per batch.
        scheduling.register_due_kind(
            "coaching_booster", "coaching.CoachingBooster", services.boosters_send, batch_size=20
        )
        scheduling.register_due_kind(
            "observation_round",
            "coaching.ObservationRound",
            services.observation_rounds_step,
            batch_size=20,
        )
        # The roster import sets coaches; their cohort's prompts are planned then (cohorts.hooks).
        hooks.on_coaches_changed(services.coaches_welcome)
        hooks.on_schedule_changed(services.coaching_follow_schedule)
