from django.apps import AppConfig


class DiscussionsConfig(AppConfig):
    name = "discussions"
    verbose_name = "Discussions"

    def ready(self) -> None:
        from cohorts import hooks
        from discussions import services, tasks
        from notifications import scheduling

        scheduling.register_due_kind("prompt_release", "discussions.Prompt", tasks.release_prompt)
        # Prompts "N days before the first session" move when the sessions do (see cohorts.hooks).
        hooks.on_schedule_changed(services.prompts_follow_schedule)
