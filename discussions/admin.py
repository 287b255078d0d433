from django.contrib import admin

from discussions.models import Flag, Post, Prompt, Thread


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    list_display = ["title", "cohort", "kind", "target", "status", "due_at"]
    list_filter = ["status", "kind"]


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ["title", "cohort", "study_group", "kind", "reply_count", "last_activity_at"]
    raw_id_fields = ["cohort", "study_group", "prompt", "author"]


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "created_at", "removed_at", "hidden_at"]
    raw_id_fields = ["thread", "parent", "author", "endorsed_by"]


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ["post", "user", "created_at", "resolved_at"]
    raw_id_fields = ["post", "user", "resolved_by"]
