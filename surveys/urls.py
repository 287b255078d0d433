from django.urls import path

from surveys import views

app_name = "surveys"

urlpatterns = [
    path("surveys/link/<str:token>/", views.round_link, name="link"),
    # Answering and results.
    path("surveys/", views.waiting, name="waiting"),
    path("cohorts/<int:cohort_pk>/surveys/rounds/<int:pk>/", views.answer, name="answer"),
    path(
        "cohorts/<int:cohort_pk>/surveys/rounds/<int:pk>/draft/",
        views.answer_draft,
        name="answer_draft",
    ),
    path(
        "cohorts/<int:cohort_pk>/surveys/rounds/<int:pk>/results/",
        views.round_results,
        name="results",
    ),
    path(
        "cohorts/<int:cohort_pk>/surveys/rounds/<int:pk>/results.csv",
        views.round_results_csv,
        name="results_csv",
    ),
    path("cohorts/<int:cohort_pk>/surveys/retention/", views.cohort_retention, name="retention"),
]
