from django.urls import path

from insights import views

app_name = "insights"

urlpatterns = [
    path("insights/", views.org_dashboard, name="org_dashboard"),
    path("insights/cohorts.csv", views.cohort_metrics_csv, name="cohort_metrics_csv"),
    path("insights/compare/", views.compare, name="compare"),
    path("insights/charts/<slug:chart_id>.csv", views.chart_numbers_csv, name="chart_csv"),
    path("insights/nav/", views.nav_link, name="nav_link"),
    path(
        "cohorts/<int:cohort_pk>/insights/", views.org_dashboard, name="cohort_dashboard"
    ),  # replaced by the cohort dashboard on merge
]
