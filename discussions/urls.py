from django.urls import path

from discussions import moderation_views, prompt_views, views

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
        "cohorts/<int:pk>/threads/<int:thread_pk>/posts/<int:post_pk>/moderate/",
        moderation_views.post_moderate,
        name="post_moderate",
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
    path(
        "cohorts/<int:pk>/threads/<int:thread_pk>/pin/",
        moderation_views.thread_pin,
        name="thread_pin",
    ),
    path(
        "cohorts/<int:pk>/threads/<int:thread_pk>/lock/",
        moderation_views.thread_lock,
        name="thread_lock",
    ),
]

# Moderation and search.
urlpatterns += [
    path(
        "cohorts/<int:pk>/threads/<int:thread_pk>/posts/<int:post_pk>/flag/",
        moderation_views.post_flag,
        name="post_flag",
    ),
    path(
        "cohorts/<int:pk>/discussions/moderation/",
        moderation_views.moderation_queue,
        name="moderation",
    ),
    *(
        path(
            f"cohorts/<int:pk>/threads/<int:thread_pk>/posts/<int:post_pk>/{action}/",
            moderation_views.moderate_post,
            {"action": action},
            name=f"post_{action}",
        )
        for action in ("hide", "restore", "dismiss")
    ),
    path("cohorts/<int:pk>/discussions/search/", views.search, name="search"),
]

# Prompts: the instructors' timeline.
urlpatterns += [
    path("cohorts/<int:pk>/prompts/", prompt_views.prompt_timeline, name="prompt_timeline"),
    path("cohorts/<int:pk>/prompts/new/", prompt_views.prompt_new, name="prompt_new"),
    path(
        "cohorts/<int:pk>/prompts/<int:prompt_pk>/edit/",
        prompt_views.prompt_edit,
        name="prompt_edit",
    ),
    path(
        "cohorts/<int:pk>/prompts/<int:prompt_pk>/cancel/",
        prompt_views.prompt_cancel,
        name="prompt_cancel",
    ),
    path(
        "cohorts/<int:pk>/prompts/<int:prompt_pk>/publish/",
        prompt_views.prompt_publish,
        name="prompt_publish",
    ),
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
