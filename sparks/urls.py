from django.urls import path

from sparks import views

app_name = "sparks"

urlpatterns = [
    path("sparks/link/<str:token>/", views.delivery_link, name="link"),
    path("sparks/<int:pk>/", views.answer, name="answer"),
]
