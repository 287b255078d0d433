from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from coaching import access as coaching_access
from coaching import links, selectors, services
from coaching.forms import BoosterForm, CoachForm, ObservationForm
from coaching.models import CoachingBooster, Observation, ObservationRound
from cohorts import access
from notifications.scheduling import DueStatus


def _open_rounds(enrolments) -> tuple[dict[int, list[ObservationRound]], set[tuple[int, int]]]:
    """Opened observation rounds per cohort, and which (round, enrolment) pairs are rated."""
    cohort_ids = {e.cohort_id for e in enrolments}
    rounds = ObservationRound.objects.filter(
        cohort_id__in=cohort_ids, opened_at__isnull=False
    ).order_by("offset_days")
    by_cohort: dict[int, list[ObservationRound]] = {}
    for round_ in rounds:
        by_cohort.setdefault(round_.cohort_id, []).append(round_)
    rated = set(
        Observation.objects.filter(enrolment__in=[e.pk for e in enrolments])
        .values_list("round_id", "enrolment_id")
        .distinct()
    )
    return by_cohort, rated


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """A coach's people, across cohorts: the same few queries for 3 or 300."""
    enrolments = selectors.coached_people(request.user)
    rounds, rated = _open_rounds(enrolments)
    people = [
        (
            person,
            [(r, (r.pk, person.enrolment.pk) in rated) for r in rounds.get(person.cohort.pk, [])],
        )
        for person in selectors.coachees(enrolments)
    ]
    return render(request, "coaching/home.html", {"people": people})


@login_required
@require_GET
def person(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = access.get_coached_enrolment_for(request.user, pk)
    enrolments = selectors.own_enrolment_seen(enrolment)
    rounds, rated = _open_rounds(enrolments)
    context = {
        "person": selectors.coachees(enrolments)[0],
        "rounds": [(r, (r.pk, enrolment.pk) in rated) for r in rounds.get(enrolment.cohort_id, [])],
    }
    return render(request, "coaching/person.html", context)


@login_required
@require_GET
def mine(request: HttpRequest, pk: int) -> HttpResponse:
    """The participant's own view: who their coach is, and exactly what the coach sees."""
    enrolment = access.get_own_enrolment_for(request.user, pk)
    context = {
        "enrolment": enrolment,
        "person": selectors.coachees(selectors.own_enrolment_seen(enrolment))[0],
    }
    return render(request, "coaching/mine.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def coach_set(request: HttpRequest, pk: int, enrolment_pk: int) -> HttpResponse:
    """The L&D manager gives one participant a coach, or removes it."""
    enrolment, _ = access.get_enrolment_for(request.user, pk, enrolment_pk, "manage")
    initial = (
        {"email": enrolment.coach.email, "name": enrolment.coach.name} if enrolment.coach else {}
    )
    form = CoachForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_valid():
        try:
            services.enrolment_coach_set(
                enrolment=enrolment,
                email=form.cleaned_data["email"],
                display_name=form.cleaned_data["name"],
                set_by=request.user,
            )
        except services.CoachError as error:
            form.add_error("email", error.message)
        else:
            if enrolment.coach:
                messages.success(request, f"{enrolment.coach.name} coaches {enrolment.user.name}.")
            else:
                messages.success(request, f"{enrolment.user.name} has no coach now.")
            return redirect("cohorts:people", pk)
    context = {"cohort": enrolment.cohort, "enrolment": enrolment, "form": form}
    return render(request, "coaching/coach_form.html", context, status=400 if form.errors else 200)


@require_GET
def observe_link(request: HttpRequest, token: str) -> HttpResponse:
    """The one-click link of an observation email: opens that person's form, no password."""
    link = links.read_observation_link(token)
    valid = (
        link is not None
        and ObservationRound.objects.filter(
            pk=link.round_id,
            opened_at__isnull=False,
            cohort__enrolments__pk=link.enrolment_id,
            cohort__enrolments__coach_id=link.coach_id,
        ).exists()
    )
    if not valid:
        return render(request, "coaching/link_invalid.html", status=400)
    if request.user.is_authenticated and request.user.pk != link.coach_id:
        return render(request, "coaching/link_other_person.html", status=404)
    links.grant(request.session, link)
    return redirect("coaching:observe", link.round_id, link.enrolment_id)


@require_http_methods(["GET", "POST"])
def observe(request: HttpRequest, pk: int, enrolment_pk: int) -> HttpResponse:
    """A coach rates how often they saw one person apply each learning objective."""
    try:
        observing = coaching_access.get_observing_for(request, pk, enrolment_pk)
    except coaching_access.SignInNeeded:
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
    cohort = observing.enrolment.cohort
    objectives = selectors.cohort_objectives({cohort.pk}).get(cohort.pk, [])
    saved = {
        o.objective: o
        for o in Observation.objects.filter(round=observing.round, enrolment=observing.enrolment)
    }
    initial = {}
    for index, objective in enumerate(objectives):
        if objective in saved:
            initial[f"rating_{index}"] = saved[objective].frequency
            initial[f"note_{index}"] = saved[objective].note
    data = request.POST if request.method == "POST" else None
    form = ObservationForm(data, objectives=objectives, initial=initial)
    if form.is_valid():
        services.observations_save(
            round_=observing.round,
            enrolment=observing.enrolment,
            coach=observing.coach,
            ratings=form.ratings(),
        )
        messages.success(
            request, f"Thank you: your observations of {observing.enrolment.user.name} are saved."
        )
        return redirect("coaching:observe", pk, enrolment_pk)
    context = {"observing": observing, "form": form, "saved": bool(saved)}
    return render(request, "coaching/observe.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    """Instructors' view of the cohort's coaching: prompts, their starters, observation rounds."""
    cohort, scope = access.get_cohort_for(request.user, pk, "teach")
    boosters = list(CoachingBooster.objects.filter(cohort=cohort))
    rounds = list(
        ObservationRound.objects.filter(cohort=cohort).annotate(
            people_rated=Count("observations__enrolment", distinct=True),
            coaches_answered=Count("observations__coach", distinct=True),
        )
    )
    coached = cohort.enrolments.filter(coach__isnull=False).aggregate(
        people=Count("pk"), coaches=Count("coach", distinct=True)
    )
    context = scope.context(
        cohort,
        boosters=[
            (b, BoosterForm(initial={"starter": b.starter}, prefix=f"b{b.pk}")) for b in boosters
        ],
        rounds=rounds,
        coached=coached,
        pending=DueStatus.PENDING,
    )
    return render(request, "coaching/plan.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def booster_edit(request: HttpRequest, pk: int, booster_pk: int) -> HttpResponse:
    booster = coaching_access.get_booster_for(request.user, pk, booster_pk)
    data = request.POST if request.method == "POST" else None
    form = BoosterForm(data, initial={"starter": booster.starter}, prefix=f"b{booster.pk}")
    if form.is_valid():
        try:
            services.booster_starter_update(booster=booster, starter=form.cleaned_data["starter"])
        except services.CoachError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"The {booster.label} conversation starter is saved.")
            return redirect("coaching:plan", pk)
    context = {"cohort": booster.cohort, "booster": booster, "form": form}
    return render(
        request, "coaching/booster_form.html", context, status=400 if form.errors else 200
    )
