from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Surveys"

    def ready(self) -> None:
        from notifications import scheduling
        from surveys import tasks

        scheduling.register_due_kind("survey_round", "surveys.RoundEvent", tasks.run_round_event)
