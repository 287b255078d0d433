from django.contrib import admin

from xapi.models import LrsConfig, LrsCursor


@admin.register(LrsConfig)
class LrsConfigAdmin(admin.ModelAdmin):
    list_display = ["organization", "endpoint", "enabled", "last_success_at", "halted_at"]
    # The secret stays out of the admin as it stays out of every page.
    exclude = ["secret"]
    readonly_fields = ["last_success_at", "last_error", "last_error_at", "pushed_count"]


@admin.register(LrsCursor)
class LrsCursorAdmin(admin.ModelAdmin):
    list_display = ["organization", "source", "last_pk", "last_at", "updated_at"]
