from django.contrib import admin

from coaching.models import CoachingBooster, Observation, ObservationRound


@admin.register(CoachingBooster)
class CoachingBoosterAdmin(admin.ModelAdmin):
    list_display = ("cohort", "label", "status", "due_at", "sent_at", "coaches_told")
    list_select_related = ("cohort",)


@admin.register(ObservationRound)
class ObservationRoundAdmin(admin.ModelAdmin):
    list_display = ("cohort", "label", "step", "status", "due_at", "opened_at")
    list_select_related = ("cohort",)


@admin.register(Observation)
class ObservationAdmin(admin.ModelAdmin):
    list_display = ("round", "enrolment", "objective", "frequency", "updated_at")
    raw_id_fields = ("round", "enrolment", "coach")
