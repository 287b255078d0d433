from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Surveys"

    def ready(self) -> None:
        from cohorts import hooks
        from notifications import scheduling
        from surveys import rounds

        scheduling.register_due_kind(
            "survey_round", "surveys.RoundEvent", rounds.round_events_run, batch_size=20
        )
        # Rounds "30 days after the last session" move when the sessions do (see cohorts.hooks).
        hooks.on_schedule_changed(rounds.rounds_follow_schedule)
