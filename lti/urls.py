from django.urls import path

from lti import views

app_name = "lti"

urlpatterns = [
    path("lti/login/", views.login, name="login"),
    path("lti/launch/", views.launch, name="launch"),
    path("lti/<int:pk>/jwks.json", views.jwks, name="jwks"),
    path("lti/deep-link/<str:token>/", views.deep_link_choose, name="deep_link_choose"),
    path("org/<slug:slug>/lti/", views.platforms, name="platforms"),
    path("org/<slug:slug>/lti/<int:pk>/", views.platform_detail, name="platform"),
    path("org/<slug:slug>/lti/courses/<int:pk>/sync/", views.roster_sync, name="roster_sync"),
]
