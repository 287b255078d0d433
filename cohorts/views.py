import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from cohorts import access, roster_imports, services
from cohorts.forms import (
    CohortForm,
    EnrolForm,
    MoveForm,
    RosterUploadForm,
    SessionFormSet,
    SplitForm,
    StudyGroupForm,
    session_initial,
)
from cohorts.models import CohortRole
from cohorts.roster import roster_parse


def _zone(name: str | None) -> zoneinfo.ZoneInfo:
    """The zone a form's session times are read in; an invalid name falls back (and errors)."""
    try:
        return zoneinfo.ZoneInfo(name or "")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


@login_required
@require_http_methods(["GET", "POST"])
def cohort_create(request: HttpRequest, slug: str) -> HttpResponse:
    organization = access.get_organization_for(request.user, slug)
    data = request.POST if request.method == "POST" else None
    # Session times are typed in the cohort's own zone, the one chosen in the same form.
    with timezone.override(_zone(request.POST.get("time_zone", "Europe/London"))):
        form = CohortForm(data, organization=organization)
        sessions = SessionFormSet(data, prefix="sessions")
        if data is not None and form.is_valid() and sessions.is_valid():
            cohort = services.cohort_create(
                organization=organization,
                created_by=request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                time_zone=form.cleaned_data["time_zone"],
                sessions=sessions.sessions(),
                instructors=form.cleaned_data["instructors"],
            )
            messages.success(request, f"Cohort “{cohort.name}” created.")
            return redirect("cohorts:detail", cohort.pk)
        context = {"organization": organization, "form": form, "sessions": sessions}
        return render(request, "cohorts/form.html", context, status=400 if data else 200)


@login_required
@require_http_methods(["GET", "POST"])
def cohort_edit(request: HttpRequest, pk: int) -> HttpResponse:
    cohort, scope = access.get_cohort_for(request.user, pk, "manage")
    data = request.POST if request.method == "POST" else None
    instructors = User.objects.filter(
        enrolments__cohort=cohort, enrolments__role=CohortRole.INSTRUCTOR
    )
    zone = request.POST.get("time_zone", cohort.time_zone)
    with timezone.override(_zone(zone)):
        form = CohortForm(
            data,
            organization=cohort.organization,
            initial={
                "name": cohort.name,
                "description": cohort.description,
                "time_zone": cohort.time_zone,
                "instructors": list(instructors),
            },
        )
        sessions = SessionFormSet(data, prefix="sessions", initial=session_initial(cohort))
        if data is not None and form.is_valid() and sessions.is_valid():
            services.cohort_update(
                cohort=cohort,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                time_zone=form.cleaned_data["time_zone"],
                sessions=sessions.sessions(),
                instructors=form.cleaned_data["instructors"],
            )
            messages.success(request, "Cohort saved.")
            return redirect("cohorts:detail", cohort.pk)
        context = scope.context(
            cohort, organization=cohort.organization, form=form, sessions=sessions
        )
        return render(request, "cohorts/form.html", context, status=400 if data else 200)


PEOPLE_PER_PAGE = 100


@login_required
@require_http_methods(["GET", "POST"])
def people(request: HttpRequest, pk: int) -> HttpResponse:
    action = "teach" if request.method == "POST" else "view"
    cohort, scope = access.get_cohort_for(request.user, pk, action)
    form = EnrolForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        enrolment, created = services.enrolment_create(
            cohort=cohort,
            email=form.cleaned_data["email"],
            display_name=form.cleaned_data["name"],
            invited_by=request.user,
        )
        if created:
            messages.success(request, f"{enrolment.user.email} is enrolled.")
        else:
            messages.info(request, f"{enrolment.user.email} was already enrolled; nothing changed.")
        return redirect("cohorts:people", cohort.pk)
    enrolments = cohort.enrolments.select_related("user", "study_group", "coach").order_by(
        "role", "user__display_name", "user__email"
    )
    page = Paginator(enrolments, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    groups = list(cohort.study_groups.all()) if scope.can_teach else []
    context = scope.context(cohort, page=page, form=form, groups=groups)
    return render(request, "cohorts/people.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def enrolment_remove(request: HttpRequest, pk: int, enrolment_pk: int) -> HttpResponse:
    enrolment, _ = access.get_enrolment_for(request.user, pk, enrolment_pk, "teach")
    if enrolment.role != CohortRole.PARTICIPANT:
        messages.error(request, "Instructors are removed by editing the cohort.")
    else:
        services.enrolment_remove(enrolment=enrolment)
        messages.success(request, f"{enrolment.user.name} was removed from the cohort.")
    return redirect("cohorts:people", pk)


@login_required
@require_POST
def enrolment_move(request: HttpRequest, pk: int, enrolment_pk: int) -> HttpResponse:
    enrolment, _ = access.get_enrolment_for(request.user, pk, enrolment_pk, "teach")
    form = MoveForm(request.POST, cohort=enrolment.cohort)
    if enrolment.role != CohortRole.PARTICIPANT:
        messages.error(request, "Only participants belong to study groups.")
    elif not form.is_valid():
        messages.error(request, "Choose one of this cohort's study groups, or no group.")
    else:
        group = form.cleaned_data["study_group"]
        services.enrolment_move(enrolment=enrolment, study_group=group)
        where = f"study group {group.name}" if group else "no study group"
        messages.success(request, f"{enrolment.user.name} is now in {where}.")
    return redirect(_back_to(request, "cohorts:people", pk))


def _back_to(request: HttpRequest, fallback: str, pk: int) -> str:
    """Go back where the form was (people or group page) if that is a safe local URL."""
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return reverse(fallback, args=[pk])


@login_required
@require_http_methods(["GET", "POST"])
def roster_upload(request: HttpRequest, pk: int) -> HttpResponse:
    cohort, scope = access.get_cohort_for(request.user, pk, "teach")
    form = RosterUploadForm(*((request.POST, request.FILES) if request.method == "POST" else ()))
    if form.is_valid():
        upload = form.cleaned_data["file"]
        group_names = set(cohort.study_groups.values_list("name", flat=True))
        parsed = roster_parse(upload.read(), group_names=group_names)
        roster_import = roster_imports.roster_import_create(
            cohort=cohort, uploaded_by=request.user, filename=upload.name, parsed=parsed
        )
        return redirect("cohorts:roster_import", cohort.pk, roster_import.pk)
    imports = cohort.roster_imports.defer("rows", "errors")[:10]
    context = scope.context(cohort, form=form, imports=imports)
    return render(request, "cohorts/roster.html", context, status=400 if form.errors else 200)


ROSTER_PREVIEW_ROWS = 50


@login_required
@require_http_methods(["GET", "POST"])
def roster_import(request: HttpRequest, pk: int, import_pk: int) -> HttpResponse:
    # The htmx progress poll runs every second: it reads counters, never the rows themselves.
    polling = bool(request.htmx) and request.method == "GET"
    roster_import, scope = access.get_roster_import_for(
        request.user, pk, import_pk, without_rows=polling
    )
    if polling:
        return render(
            request,
            "cohorts/roster_import.html#progress",
            scope.context(roster_import.cohort, roster_import=roster_import),
        )
    if request.method == "POST":
        if not roster_import.rows:
            messages.error(request, "There is nothing to import: the file has no good rows.")
        else:
            roster_imports.roster_import_confirm(roster_import=roster_import, user=request.user)
        return redirect("cohorts:roster_import", pk, import_pk)
    context = scope.context(
        roster_import.cohort,
        roster_import=roster_import,
        preview_rows=roster_import.rows[:ROSTER_PREVIEW_ROWS],
    )
    return render(request, "cohorts/roster_import.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def groups(request: HttpRequest, pk: int) -> HttpResponse:
    action = "teach" if request.method == "POST" else "view"
    cohort, scope = access.get_cohort_for(request.user, pk, action)
    form = StudyGroupForm(request.POST if request.method == "POST" else None, cohort=cohort)
    if form.is_valid():
        group = services.study_group_create(cohort=cohort, name=form.cleaned_data["name"])
        messages.success(request, f"Study group “{group.name}” created.")
        return redirect("cohorts:groups", cohort.pk)
    return _groups_page(request, cohort, scope, form=form, split_form=SplitForm())


def _groups_page(request, cohort, scope, *, form, split_form) -> HttpResponse:
    groups = access.study_groups_visible_to(request.user, cohort, scope).annotate(
        member_count=Count("enrolments")
    )
    unassigned = cohort.enrolments.filter(
        role=CohortRole.PARTICIPANT, study_group__isnull=True
    ).count()
    context = scope.context(
        cohort, groups=list(groups), form=form, split_form=split_form, unassigned=unassigned
    )
    status = 400 if form.errors or split_form.errors else 200
    return render(request, "cohorts/groups.html", context, status=status)


@login_required
@require_POST
def groups_split(request: HttpRequest, pk: int) -> HttpResponse:
    cohort, scope = access.get_cohort_for(request.user, pk, "teach")
    split_form = SplitForm(request.POST)
    if not split_form.is_valid():
        return _groups_page(
            request, cohort, scope, form=StudyGroupForm(cohort=cohort), split_form=split_form
        )
    created = services.study_groups_split(cohort=cohort, size=split_form.cleaned_data["size"])
    if created:
        messages.success(
            request, f"{len(created)} new study groups: {created[0].name} to {created[-1].name}."
        )
    else:
        messages.info(request, "Every participant is already in a study group.")
    return redirect("cohorts:groups", cohort.pk)


@login_required
@require_GET
def group_detail(request: HttpRequest, pk: int, group_pk: int) -> HttpResponse:
    group, scope = access.get_study_group_for(request.user, pk, group_pk)
    cohort = group.cohort
    members = group.enrolments.select_related("user").order_by("user__display_name", "user__email")
    context = scope.context(
        cohort,
        group=group,
        members=list(members),
        groups=list(cohort.study_groups.all()) if scope.can_teach else [],
    )
    return render(request, "cohorts/group_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def group_rename(request: HttpRequest, pk: int, group_pk: int) -> HttpResponse:
    group, scope = access.get_study_group_for(request.user, pk, group_pk, "teach")
    form = StudyGroupForm(
        request.POST if request.method == "POST" else None,
        cohort=group.cohort,
        study_group=group,
        initial={"name": group.name},
    )
    if form.is_valid():
        services.study_group_rename(study_group=group, name=form.cleaned_data["name"])
        if request.htmx:
            group.member_count = group.enrolments.count()
            context = scope.context(group.cohort, group=group)
            return render(request, "cohorts/groups.html#group-row", context)
        messages.success(request, f"Renamed to “{group.name}”.")
        return redirect("cohorts:groups", pk)
    context = scope.context(group.cohort, group=group, form=form)
    if request.htmx:
        # htmx swaps only 2xx responses; the row shows the error next to the kept text.
        return render(request, "cohorts/groups.html#rename-row", context)
    return render(request, "cohorts/group_rename.html", context, status=400 if form.errors else 200)
