from django.urls import path

from surveys import build_views, views

app_name = "surveys"

urlpatterns = [
    path("surveys/link/<str:token>/", views.round_link, name="link"),
    # Building and scheduling.
    path("cohorts/<int:pk>/surveys/", build_views.survey_list, name="list"),
    path("cohorts/<int:pk>/surveys/new/", build_views.survey_create, name="create"),
    path("cohorts/<int:pk>/surveys/<int:survey_pk>/", build_views.survey_build, name="build"),
    path(
        "cohorts/<int:pk>/surveys/<int:survey_pk>/settings/",
        build_views.survey_settings,
        name="settings",
    ),
    path(
        "cohorts/<int:pk>/surveys/<int:survey_pk>/preview/",
        build_views.survey_preview,
        name="preview",
    ),
    path(
        "cohorts/<int:pk>/surveys/<int:survey_pk>/new-version/",
        build_views.survey_new_version,
        name="new_version",
    ),
    path(
        "cohorts/<int:pk>/surveys/<int:survey_pk>/questions/new/",
        build_views.question_create,
        name="question_create",
    ),
    path(
        "cohorts/<int:pk>/surveys/<int:survey_pk>/questions/<int:question_pk>/",
        build_views.question_edit,
        name="question_edit",
    ),
    path(
        "cohorts/<int:pk>/surveys/<int:survey_pk>/questions/<int:question_pk>/delete/",
        build_views.question_delete,
        name="question_delete",
    ),
    path(
        "cohorts/<int:pk>/surveys/<int:survey_pk>/questions/<int:question_pk>/move/",
        build_views.question_move,
        name="question_move",
    ),
    path(
        "cohorts/<int:pk>/surveys/<int:survey_pk>/rounds/new/",
        build_views.round_create,
        name="round_create",
    ),
    path(
        "cohorts/<int:pk>/surveys/<int:survey_pk>/rounds/standard/",
        build_views.rounds_standard,
        name="rounds_standard",
    ),
    path(
        "cohorts/<int:pk>/surveys/rounds/<int:round_pk>/edit/",
        build_views.round_edit,
        name="round_edit",
    ),
    path(
        "cohorts/<int:pk>/surveys/rounds/<int:round_pk>/cancel/",
        build_views.round_cancel,
        name="round_cancel",
    ),
    # Answering and results.
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
