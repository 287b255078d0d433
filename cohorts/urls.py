from django.urls import path

from cohorts import views

app_name = "cohorts"

# The overview, cohorts:detail, belongs to the portal (it gathers every app): see portal/urls.py.

urlpatterns = [
    path("org/<slug:slug>/cohorts/new/", views.cohort_create, name="create"),
    path("cohorts/<int:pk>/edit/", views.cohort_edit, name="edit"),
    path("cohorts/<int:pk>/people/", views.people, name="people"),
    path(
        "cohorts/<int:pk>/people/<int:enrolment_pk>/remove/",
        views.enrolment_remove,
        name="enrolment_remove",
    ),
    path(
        "cohorts/<int:pk>/people/<int:enrolment_pk>/group/",
        views.enrolment_move,
        name="enrolment_move",
    ),
    path("cohorts/<int:pk>/roster/", views.roster_upload, name="roster"),
    path("cohorts/<int:pk>/roster/<int:import_pk>/", views.roster_import, name="roster_import"),
    path("cohorts/<int:pk>/groups/", views.groups, name="groups"),
    path("cohorts/<int:pk>/groups/split/", views.groups_split, name="groups_split"),
    path("cohorts/<int:pk>/groups/<int:group_pk>/", views.group_detail, name="group"),
    path("cohorts/<int:pk>/groups/<int:group_pk>/rename/", views.group_rename, name="group_rename"),
]
