from django.contrib import admin

from lti.models import LtiContext, LtiPlatform, LtiRosterEntry


@admin.register(LtiPlatform)
class LtiPlatformAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "issuer", "client_id"]
    # The tool's private key stays out of the admin too.
    exclude = ["tool_private_key_encrypted"]


@admin.register(LtiContext)
class LtiContextAdmin(admin.ModelAdmin):
    list_display = ["title", "platform", "cohort"]


@admin.register(LtiRosterEntry)
class LtiRosterEntryAdmin(admin.ModelAdmin):
    list_display = ["user", "context", "role", "status", "removed_at"]
