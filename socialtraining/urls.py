from django.contrib import admin
from django.urls import include, path

from cohorts import urls as cohort_urls
from portal import urls as portal_urls
from socialtraining import views

urlpatterns = [
    portal_urls.home,
    # One namespace, as the names have always been: the portal's overview and cohorts' pages.
    path("", include(([*portal_urls.overview, *cohort_urls.urlpatterns], "cohorts"))),
    path("", include("discussions.urls")),
    path("", include("surveys.urls")),
    path("", include("sparks.urls")),
    path("", include("coaching.urls")),
    path("", include("insights.urls")),
    path("", include("xapi.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("sso.urls")),
    path("", include("lti.urls")),
    path("notifications/", include("notifications.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
