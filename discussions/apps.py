from django.apps import AppConfig


class DiscussionsConfig(AppConfig):
    name = "discussions"
    verbose_name = "Discussions"

    def ready(self) -> None:
        from cohorts import hooks
        from discussions import fanout, prompts
        from notifications import jobs, scheduling

        # A release commits as it goes (its people in chunks), so the kind owns its transactions.
        scheduling.register_due_kind(
            "prompt_release",
            "discussions.Prompt",
            scheduling.row_by_row("prompt_release", prompts.prompt_release_step),
            batch_size=10,
            owns_transactions=True,
        )
        jobs.register_job_kind(fanout.POST_FANOUT_JOB, fanout.posts_fan_out, batch_size=50)
        # Prompts "N days before the first session" move when the sessions do (see cohorts.hooks).
        hooks.on_schedule_changed(prompts.prompts_follow_schedule)
