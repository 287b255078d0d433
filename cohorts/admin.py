from django.contrib import admin

from cohorts.models import Cohort, Enrolment, RosterImport, StudyGroup, WorkshopSession


class WorkshopSessionInline(admin.TabularInline):
    model = WorkshopSession
    extra = 0


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "time_zone", "created_at"]
    list_filter = ["organization"]
    inlines = [WorkshopSessionInline]


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ["user", "cohort", "role", "study_group"]
    list_filter = ["role"]
    raw_id_fields = ["user", "cohort", "study_group"]


admin.site.register(StudyGroup)
admin.site.register(RosterImport)
