"""The portal's pages keep the URL names they always had: `home`, and `cohorts:detail` for a
cohort's overview. socialtraining/urls.py puts `overview` into the cohorts namespace beside
cohorts' own pages (cohorts, below the portal, cannot import it)."""

from django.urls import path

from portal import views

home = path("", views.home, name="home")
overview = [path("cohorts/<int:pk>/", views.cohort_overview, name="detail")]
