from django.apps import AppConfig


class XapiConfig(AppConfig):
    name = "xapi"
    verbose_name = "xAPI and Learning Record Store"

    def ready(self) -> None:
        from notifications import jobs
        from xapi import services

        # Each organisation's push is a recurring job; it talks HTTP, so it owns its commits.
        jobs.register_job_kind(services.LRS_PUSH_JOB, services.lrs_pushes, owns_transactions=True)
