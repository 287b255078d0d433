from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cohorts import access
from cohorts.models import CohortRole, Enrolment


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """One page for every role: what I manage, what I teach, what I take part in."""
    user = request.user
    counted = (
        access.cohorts_visible_to(user)
        .with_schedule()
        .select_related("organization")
        .annotate(
            participant_count=Count(
                "enrolments", filter=Q(enrolments__role=CohortRole.PARTICIPANT), distinct=True
            ),
        )
    )
    managed_orgs = list(access.organizations_managed_by(user))
    managed_cohorts = list(
        counted.filter(organization__in=managed_orgs).order_by("organization__name", "-created_at")
    )
    my_enrolments = list(
        Enrolment.objects.filter(user=user)
        .select_related("cohort__organization", "study_group")
        .order_by("-cohort__created_at")
    )
    cohort_by_id = {c.pk: c for c in counted.filter(pk__in=[e.cohort_id for e in my_enrolments])}
    teaching = [cohort_by_id[e.cohort_id] for e in my_enrolments if e.role == CohortRole.INSTRUCTOR]
    taking = [
        (cohort_by_id[e.cohort_id], e) for e in my_enrolments if e.role == CohortRole.PARTICIPANT
    ]
    context = {
        "now": timezone.now(),
        "managed_orgs": [
            (org, [c for c in managed_cohorts if c.organization_id == org.pk])
            for org in managed_orgs
        ],
        "teaching": teaching,
        "taking": taking,
    }
    return render(request, "cohorts/home.html", context)


@login_required
@require_GET
def cohort_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = access.get_cohort_for(request.user, pk)
    sessions = list(cohort.sessions.all())
    return render(request, "cohorts/detail.html", {"cohort": cohort, "sessions": sessions})
