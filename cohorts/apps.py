from django.apps import AppConfig


class CohortsConfig(AppConfig):
    name = "cohorts"
    verbose_name = "Cohorts and study groups"

    def ready(self) -> None:
        from cohorts import services
        from notifications import jobs

        # A large roster imports as a job, one chunk per run, through the one due-row mechanism.
        jobs.register_job_kind(services.ROSTER_IMPORT_JOB, services.roster_imports_step)
