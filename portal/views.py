"""The pages that gather every app: the home page and a cohort's overview. Each is one request:
what waits for the person, and the cohort's state, come from the apps' own selectors."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.models import Membership, Role
from cohorts import access
from cohorts.models import CohortRole, Enrolment
from discussions.moderation import open_flag_count
from portal.selectors import waiting_for
from socialtraining import clock

HOME_COHORTS_PER_PAGE = 50


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """One page for every role: what I manage, what I teach, what I take part in, what waits for
    me in every app, and the people I coach."""
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
    managed_page = Paginator(
        counted.filter(organization__in=managed_orgs).order_by(
            "organization__name", "-created_at", "pk"
        ),
        HOME_COHORTS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    managed_cohorts = list(managed_page.object_list)
    my_enrolments = list(
        Enrolment.objects.filter(user=user)
        .select_related("cohort__organization", "study_group", "coach")
        .order_by("-cohort__created_at")
    )
    cohort_by_id = {c.pk: c for c in counted.filter(pk__in=[e.cohort_id for e in my_enrolments])}
    teaching = [cohort_by_id[e.cohort_id] for e in my_enrolments if e.role == CohortRole.INSTRUCTOR]
    taking = [
        (cohort_by_id[e.cohort_id], e) for e in my_enrolments if e.role == CohortRole.PARTICIPANT
    ]
    memberships = []
    if not managed_orgs and not my_enrolments:
        memberships = _memberships_with_contacts(user)
    context = {
        "now": clock.now(),
        "memberships": memberships,
        "managed_page": managed_page,
        "managed_orgs": [
            (org, [c for c in managed_cohorts if c.organization_id == org.pk])
            for org in managed_orgs
        ],
        "teaching": teaching,
        "taking": taking,
        "waiting": waiting_for(user) if taking else None,
        "coached": access.enrolments_coached_by(user).count(),
    }
    return render(request, "portal/home.html", context)


def _memberships_with_contacts(user) -> list[Membership]:
    """A member in no cohort yet: their organisations, each with its managers to ask (2 queries)."""
    memberships = list(Membership.objects.filter(user=user).select_related("organization"))
    contacts: dict[int, list] = {}
    for manager in Membership.objects.filter(
        organization__in=[m.organization_id for m in memberships], role=Role.MANAGER
    ).select_related("user"):
        contacts.setdefault(manager.organization_id, []).append(manager.user)
    for membership in memberships:
        membership.contacts = contacts.get(membership.organization_id, [])[:3]
    return memberships


@login_required
@require_GET
def cohort_overview(request: HttpRequest, pk: int) -> HttpResponse:
    """The cohort's sessions, people and groups; what waits for a participant in it, and the
    posts flagged for its instructors and managers to review."""
    cohort, scope = access.get_cohort_for(request.user, pk)
    sessions = list(cohort.sessions.all())
    # The schedule the phase derives from, taken from the sessions already fetched.
    cohort.first_session_start = min((s.starts_at for s in sessions), default=None)
    cohort.last_session_end = max((s.ends_at for s in sessions), default=None)
    counts = cohort.enrolments.aggregate(
        participants=Count("pk", filter=Q(role=CohortRole.PARTICIPANT)),
        unassigned=Count("pk", filter=Q(role=CohortRole.PARTICIPANT, study_group__isnull=True)),
    )
    instructors = [
        e.user for e in cohort.enrolments.filter(role=CohortRole.INSTRUCTOR).select_related("user")
    ]
    groups = access.study_groups_visible_to(request.user, cohort, scope).annotate(
        member_count=Count("enrolments")
    )
    participates = scope.role == CohortRole.PARTICIPANT
    context = scope.context(
        cohort,
        sessions=sessions,
        counts=counts,
        instructors=instructors,
        groups=list(groups),
        waiting=waiting_for(request.user, cohort=cohort) if participates else None,
        open_flags=open_flag_count(cohort) if scope.can_teach else 0,
    )
    return render(request, "portal/cohort_overview.html", context)
