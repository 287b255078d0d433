from django.urls import path

from sparks import lift_views, plan_views, views

app_name = "sparks"

urlpatterns = [
    path("sparks/link/<str:token>/", views.delivery_link, name="link"),
    path("sparks/<int:pk>/", views.answer, name="answer"),
    # --- Instructor spark plan (sparks/plan_views.py) ---
    path("cohorts/<int:pk>/sparks/", plan_views.plan, name="plan"),
    path("cohorts/<int:pk>/sparks/new/", plan_views.spark_new, name="spark_new"),
    path("cohorts/<int:pk>/sparks/two-two-two/", plan_views.two_two_two, name="two_two_two"),
    path("cohorts/<int:pk>/sparks/settings/", plan_views.schedule_settings, name="settings"),
    path("cohorts/<int:pk>/sparks/<int:spark_pk>/edit/", plan_views.spark_edit, name="spark_edit"),
    path(
        "cohorts/<int:pk>/sparks/<int:spark_pk>/reschedule/",
        plan_views.spark_reschedule,
        name="spark_reschedule",
    ),
    path(
        "cohorts/<int:pk>/sparks/<int:spark_pk>/cancel/",
        plan_views.spark_cancel,
        name="spark_cancel",
    ),
    path(
        "cohorts/<int:pk>/sparks/<int:spark_pk>/send-now/",
        plan_views.spark_send_now,
        name="spark_send_now",
    ),
    path(
        "cohorts/<int:pk>/threads/<int:thread_pk>/posts/<int:post_pk>/spark/",
        plan_views.spark_from_post,
        name="spark_from_post",
    ),
]

# Participant side and operations (issue 5): one-click answers, confidence, inbox, settings.
urlpatterns += [
    path("sparks/pick/<str:token>/", views.choice_link, name="pick"),
    path("sparks/<int:pk>/confidence/", views.confidence, name="confidence"),
    path("sparks/", views.inbox, name="inbox"),
    path("sparks/cohorts/<int:cohort_pk>/settings/", views.spark_settings, name="my_settings"),
]

# Measure the lift (issue 17): the instructors' page of a cohort's lift study.
urlpatterns += [
    path("cohorts/<int:pk>/sparks/lift/", lift_views.lift, name="lift"),
    path("cohorts/<int:pk>/sparks/lift/start/", lift_views.lift_start, name="lift_start"),
    path("cohorts/<int:pk>/sparks/lift/stop/", lift_views.lift_stop, name="lift_stop"),
]
