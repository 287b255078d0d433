from django.contrib import admin

from sso.models import SsoConnection, SsoDomain


@admin.register(SsoConnection)
class SsoConnectionAdmin(admin.ModelAdmin):
    list_display = ["organization", "protocol", "name", "enabled", "required", "last_test_ok"]
    # The encrypted secret stays out of the admin too.
    exclude = ["client_secret_encrypted"]


@admin.register(SsoDomain)
class SsoDomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "organization", "verified_at"]
    exclude = ["token"]
