from django.contrib import admin

from sparks.models import Delivery, LiftStudy, Spark, SparkChoice, SparkSchedule


class SparkChoiceInline(admin.TabularInline):
    model = SparkChoice
    extra = 0


@admin.register(Spark)
class SparkAdmin(admin.ModelAdmin):
    list_display = ["question", "cohort", "kind", "offset_days", "target", "cancelled_at"]
    list_filter = ["kind", "target"]
    raw_id_fields = ["cohort", "source_post", "created_by"]
    inlines = [SparkChoiceInline]


@admin.register(SparkSchedule)
class SparkScheduleAdmin(admin.ModelAdmin):
    list_display = ["cohort", "window_start", "window_end", "weekdays", "repeat_mode"]
    raw_id_fields = ["cohort"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["spark", "participant", "attempt", "step", "status", "outcome", "due_at"]
    list_filter = ["status", "step", "outcome"]
    raw_id_fields = ["spark", "participant"]


@admin.register(LiftStudy)
class LiftStudyAdmin(admin.ModelAdmin):
    list_display = ["cohort", "started_at", "fixed_at"]
    raw_id_fields = ["cohort", "started_by"]
