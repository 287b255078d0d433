from django.apps import AppConfig


class CohortsConfig(AppConfig):
    name = "cohorts"
    verbose_name = "Cohorts and study groups"

    def ready(self) -> None:
        from cohorts import roster_imports
        from notifications import jobs

        # A large roster imports as a job, one chunk per run, through the one due-row mechanism.
        jobs.register_job_kind(roster_imports.ROSTER_IMPORT_JOB, roster_imports.roster_imports_step)
