from django.urls import path

from xapi import views

app_name = "xapi"

urlpatterns = [
    path("org/<slug:slug>/xapi/", views.organization_exports, name="organization_exports"),
    path(
        "org/<slug:slug>/xapi/statements.json",
        views.organization_statements,
        name="organization_statements",
    ),
    path(
        "cohorts/<int:pk>/xapi/statements.json", views.cohort_statements, name="cohort_statements"
    ),
]
