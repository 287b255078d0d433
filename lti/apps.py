from django.apps import AppConfig


class LtiConfig(AppConfig):
    name = "lti"
    verbose_name = "LMS launch (LTI 1.3)"

    def ready(self) -> None:
        from lti import tasks
        from notifications import scheduling

        scheduling.register_due_kind("lti_roster_sync", "lti.LtiRosterSync", tasks.run_lti_job)
        scheduling.register_due_kind("lti_grade_sync", "lti.LtiGradeSync", tasks.run_lti_job)
