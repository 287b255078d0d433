from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("org/<slug:slug>/people/", views.org_people, name="org_people"),
    path(
        "org/<slug:slug>/people/<int:pk>/role/",
        views.member_role_change,
        name="member_role_change",
    ),
    path(
        "org/<slug:slug>/invitations/<int:pk>/resend/",
        views.invitation_resend_view,
        name="invitation_resend",
    ),
    path(
        "org/<slug:slug>/invitations/<int:pk>/revoke/",
        views.invitation_revoke_view,
        name="invitation_revoke",
    ),
]
