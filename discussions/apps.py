from django.apps import AppConfig


class DiscussionsConfig(AppConfig):
    name = "discussions"
    verbose_name = "Discussions"

    def ready(self) -> None:
        from discussions import tasks
        from notifications import scheduling

        scheduling.register_due_kind("prompt_release", "discussions.Prompt", tasks.release_prompt)
