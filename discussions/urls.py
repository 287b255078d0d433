from django.urls import path

from discussions import views

app_name = "discussions"

urlpatterns = [
    path("cohorts/<int:pk>/discussions/", views.space_feed, name="feed"),
    path("cohorts/<int:pk>/discussions/new/", views.thread_new, name="thread_new"),
    path(
        "cohorts/<int:pk>/groups/<int:group_pk>/discussions/",
        views.space_feed,
        name="group_feed",
    ),
    path(
        "cohorts/<int:pk>/groups/<int:group_pk>/discussions/new/",
        views.thread_new,
        name="group_thread_new",
    ),
    path("cohorts/<int:pk>/threads/<int:thread_pk>/", views.thread_detail, name="thread"),
    path("cohorts/<int:pk>/threads/<int:thread_pk>/reply/", views.reply, name="reply"),
    path(
        "cohorts/<int:pk>/threads/<int:thread_pk>/posts/<int:post_pk>/comment/",
        views.comment,
        name="comment",
    ),
    path(
        "cohorts/<int:pk>/threads/<int:thread_pk>/posts/<int:post_pk>/react/",
        views.react,
        name="react",
    ),
    path(
        "cohorts/<int:pk>/threads/<int:thread_pk>/posts/<int:post_pk>/endorse/",
        views.endorse,
        name="endorse",
    ),
    path(
        "cohorts/<int:pk>/threads/<int:thread_pk>/posts/<int:post_pk>/edit/",
        views.post_edit,
        name="post_edit",
    ),
    path(
        "cohorts/<int:pk>/threads/<int:thread_pk>/posts/<int:post_pk>/remove/",
        views.post_remove,
        name="post_remove",
    ),
    path("cohorts/<int:pk>/threads/<int:thread_pk>/pin/", views.thread_pin, name="thread_pin"),
    path("cohorts/<int:pk>/threads/<int:thread_pk>/lock/", views.thread_lock, name="thread_lock"),
]

# Mentions and following.
urlpatterns += [
    path(
        "cohorts/<int:pk>/threads/<int:thread_pk>/mentions/",
        views.thread_mention_options,
        name="thread_mention_options",
    ),
    path(
        "cohorts/<int:pk>/discussions/mentions/",
        views.space_mention_options,
        name="mention_options",
    ),
    path(
        "cohorts/<int:pk>/groups/<int:group_pk>/discussions/mentions/",
        views.space_mention_options,
        name="group_mention_options",
    ),
    path(
        "cohorts/<int:pk>/threads/<int:thread_pk>/follow/",
        views.thread_follow,
        name="thread_follow",
    ),
]
