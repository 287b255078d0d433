app_name = "insights"

urlpatterns: list = []

# --- cohort dashboard (insights/cohort_views.py) ---
from django.urls import path  # noqa: E402

from insights import cohort_views  # noqa: E402

urlpatterns += [
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
]
# --- end cohort dashboard ---
