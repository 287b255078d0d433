from django.urls import path

from xapi import views

app_name = "xapi"

urlpatterns = [
    path("org/<slug:slug>/exports/", views.exports, name="exports"),
    path("org/<slug:slug>/exports/lrs/retry/", views.lrs_retry, name="lrs_retry"),
    path(
        "org/<slug:slug>/exports/xapi.json",
        views.organization_statements,
        name="organization_statements",
    ),
    path("cohorts/<int:pk>/exports/xapi.json", views.cohort_statements, name="cohort_statements"),
]
