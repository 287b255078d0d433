from django.urls import path

from surveys import views

app_name = "surveys"

urlpatterns = [
    path("surveys/link/<str:token>/", views.round_link, name="link"),
]
