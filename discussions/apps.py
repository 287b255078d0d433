from django.apps import AppConfig


class DiscussionsConfig(AppConfig):
    name = "discussions"
    verbose_name = "Discussions"

    def ready(self) -> None:
        from cohorts import hooks
        from discussions import fanout, prompts
        from notifications import jobs, scheduling

        scheduling.register_due_kind(
            "prompt_release", "discussions.Prompt", prompts.prompts_release, batch_size=10
        )
        jobs.register_job_kind(fanout.POST_FANOUT_JOB, fanout.posts_fan_out, batch_size=50)
        # Prompts "N days before the first session" move when the sessions do (see cohorts.hooks).
        hooks.on_schedule_changed(prompts.prompts_follow_schedule)
