from django.contrib import admin

from xapi.models import LrsEndpoint


@admin.register(LrsEndpoint)
class LrsEndpointAdmin(admin.ModelAdmin):
    list_display = ["organization", "url", "enabled", "halted_at", "last_success_at"]
    exclude = ["password"]
