from django.contrib import admin

from surveys.models import Choice, Question, Response, Round, RoundEvent, Survey


class ChoiceInline(admin.TabularInline):
    model = Choice
    extra = 0


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["title", "cohort", "purpose", "version", "anonymous", "created_at"]
    list_filter = ["purpose"]
    raw_id_fields = ["cohort", "previous_version", "created_by"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "survey", "kind", "position", "required"]
    raw_id_fields = ["survey"]
    inlines = [ChoiceInline]


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["survey", "label", "cohort", "status", "opens_at", "closes_at"]
    list_filter = ["status"]
    raw_id_fields = ["survey", "cohort"]


@admin.register(RoundEvent)
class RoundEventAdmin(admin.ModelAdmin):
    list_display = ["round", "step", "status", "due_at", "attempts"]
    list_filter = ["status", "step"]
    raw_id_fields = ["round"]


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["round", "participant", "status", "score", "max_score", "submitted_at"]
    list_filter = ["status"]
    raw_id_fields = ["round", "participant"]
