from django.urls import path

from sso import views

app_name = "sso"

urlpatterns = [
    path("sso/", views.sso_start, name="start"),
    path("sso/domains/verify/<str:token>/", views.domain_verify, name="domain_verify"),
    path("org/<slug:slug>/sso/", views.sso_settings, name="settings"),
    path("org/<slug:slug>/sso/test/", views.sso_test, name="test"),
    path("org/<slug:slug>/sso/domains/", views.domain_add, name="domain_add"),
    path(
        "org/<slug:slug>/sso/domains/<int:pk>/send/",
        views.domain_send,
        name="domain_send",
    ),
    path(
        "org/<slug:slug>/sso/domains/<int:pk>/remove/",
        views.domain_remove,
        name="domain_remove",
    ),
]
