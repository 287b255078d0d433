from django.urls import path

from coaching import views

app_name = "coaching"

urlpatterns = [
    path("coaching/", views.home, name="home"),
    path("coaching/people/<int:pk>/", views.person, name="person"),
    path("coaching/observe/<str:token>/", views.observe_link, name="observe_link"),
    path(
        "coaching/observations/<int:pk>/people/<int:enrolment_pk>/",
        views.observe,
        name="observe",
    ),
    path("cohorts/<int:pk>/coach/", views.mine, name="mine"),
    path("cohorts/<int:pk>/people/<int:enrolment_pk>/coach/", views.coach_set, name="coach_set"),
    path("cohorts/<int:pk>/coaching/", views.plan, name="plan"),
    path(
        "cohorts/<int:pk>/coaching/prompts/<int:booster_pk>/",
        views.booster_edit,
        name="booster_edit",
    ),
]
