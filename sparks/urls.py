from django.urls import path

from sparks import views

app_name = "sparks"

urlpatterns = [
    path("sparks/link/<str:token>/", views.delivery_link, name="link"),
    path("sparks/<int:pk>/", views.answer, name="answer"),
]

# Participant side and operations (issue 5): one-click answers, confidence, inbox, settings.
urlpatterns += [
    path("sparks/pick/<str:token>/", views.choice_link, name="pick"),
    path("sparks/<int:pk>/confidence/", views.confidence, name="confidence"),
    path("sparks/", views.inbox, name="inbox"),
    path("sparks/cohorts/<int:cohort_pk>/settings/", views.spark_settings, name="settings"),
]
