from django.contrib import admin
from django.urls import include, path

from cohorts import views as cohort_views
from socialtraining import views

urlpatterns = [
    path("", cohort_views.home, name="home"),
    path("", include("cohorts.urls")),
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
