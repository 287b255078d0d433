from django.urls import path

from insights import confident_wrong_views, lift_views, views
from insights.cohort import views as cohort_views

app_name = "insights"

urlpatterns = [
    # The organisation dashboard (insights/views.py).
    path("insights/", views.org_dashboard, name="org_dashboard"),
    path("insights/cohorts.csv", views.cohort_metrics_csv, name="cohort_metrics_csv"),
    path("insights/compare/", views.compare, name="compare"),
    path("insights/charts/<slug:chart_id>.csv", views.chart_numbers_csv, name="chart_csv"),
    # The cohort dashboard (insights/cohort/views.py).
    path(
        "cohorts/<int:cohort_pk>/insights/",
        cohort_views.cohort_dashboard,
        name="cohort_dashboard",
    ),
    path(
        "cohorts/<int:cohort_pk>/insights/charts/<slug:chart_id>.csv",
        cohort_views.cohort_chart_csv,
        name="cohort_chart_csv",
    ),
    path(
        "cohorts/<int:cohort_pk>/insights/participants.csv",
        cohort_views.cohort_participants_csv,
        name="cohort_participants_csv",
    ),
    path("cohorts/<int:cohort_pk>/insights/nudge/", cohort_views.cohort_nudge, name="cohort_nudge"),
    path(
        "cohorts/<int:cohort_pk>/insights/people/<int:enrolment_pk>/",
        cohort_views.cohort_participant,
        name="cohort_participant",
    ),
    path(
        "cohorts/<int:cohort_pk>/insights/people/<int:enrolment_pk>/scores.csv",
        cohort_views.cohort_participant_scores_csv,
        name="cohort_participant_scores_csv",
    ),
    # The measured lift of sparks (insights/lift_views.py, issue 17).
    path("insights/lift/", lift_views.org_lift, name="org_lift"),
    path("cohorts/<int:cohort_pk>/insights/lift/", lift_views.cohort_lift_page, name="cohort_lift"),
    path(
        "cohorts/<int:cohort_pk>/insights/lift.csv",
        lift_views.cohort_lift_csv,
        name="cohort_lift_csv",
    ),
    # Confident and wrong (insights/confident_wrong_views.py, issue 17).
    path(
        "cohorts/<int:cohort_pk>/insights/confident-wrong/",
        confident_wrong_views.confident_wrong_list,
        name="confident_wrong_list",
    ),
    path(
        "cohorts/<int:cohort_pk>/insights/confident-wrong/<int:pk>/",
        confident_wrong_views.confident_wrong,
        name="confident_wrong",
    ),
    path(
        "cohorts/<int:cohort_pk>/insights/confident-wrong/<int:pk>/thread/",
        confident_wrong_views.confident_wrong_thread,
        name="confident_wrong_thread",
    ),
]
