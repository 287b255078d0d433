from django.apps import AppConfig


class LtiConfig(AppConfig):
    name = "lti"
    verbose_name = "LMS launch (LTI 1.3)"

    def ready(self) -> None:
        from lti import syncs
        from notifications import scheduling

        # Both call the LMS over HTTP: one row at a time, each finished on its own.
        for kind, model, work in (
            ("lti_roster_sync", "lti.LtiRosterSync", syncs.lti_roster_sync),
            ("lti_grade_sync", "lti.LtiGradeSync", syncs.lti_grades_sync),
        ):
            scheduling.register_due_kind(
                kind,
                model,
                scheduling.row_by_row(kind, work),
                batch_size=1,
                owns_transactions=True,
            )
