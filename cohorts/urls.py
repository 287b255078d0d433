from django.urls import path

from cohorts import views

app_name = "cohorts"

urlpatterns = [
    path("cohorts/<int:pk>/", views.cohort_detail, name="detail"),
]
