"""The instructors' spark plan of a cohort: write, edit, reschedule, cancel and send sparks now,
the 2 + 2 + 2 template, the send settings and the timeline of what went out and what came back.

Everything is reached through cohorts.access with the `teach` action (the cohort's instructors
and the organisation's managers); anything else is a 404.
"""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Min, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cohorts.access import CohortAccess, get_cohort_for, get_cohort_row_for
from cohorts.models import Cohort, CohortRole
from discussions.access import get_post_for
from discussions.fanout import plain_text
from discussions.models import Post
from socialtraining import clock
from sparks import answering, planning
from sparks.models import DeliveryOutcome, Spark, SparkAnswer, SparkKind, SparkTarget, SparkThread
from sparks.plan_forms import (
    MAX_OFFSET_DAYS,
    REPEAT_MODE_HELP,
    RescheduleForm,
    SparkForm,
    SparkScheduleForm,
    schedule_initial,
)
from surveys.forms import ChoiceFormSet

SPARKS_PER_PAGE = 50


def get_spark_for(user, cohort_pk: int, pk: int) -> tuple[Spark, CohortAccess]:
    """A spark of the cohort, for its instructors and the organisation's managers; else 404."""
    return get_cohort_row_for(user, cohort_pk, Spark.objects.all(), pk, missing="No such spark.")


def _timeline_sparks(cohort: Cohort) -> QuerySet[Spark]:
    """Each spark with its counts, in one query; its threads in one more."""
    first = Q(deliveries__attempt=1)
    waiting_first = first & Q(deliveries__sent_at__isnull=True, deliveries__status="pending")
    answered = Q(deliveries__outcome=DeliveryOutcome.ANSWERED)
    threads = SparkThread.objects.select_related("thread", "study_group").order_by(
        "study_group__name"
    )
    return (
        cohort.sparks.annotate(
            recipients=Count(
                "deliveries__participant",
                distinct=True,
                filter=~Q(deliveries__outcome=DeliveryOutcome.CANCELLED),
            ),
            delivered=Count("deliveries", filter=Q(deliveries__sent_at__isnull=False)),
            answered=Count("deliveries", filter=answered),
            right=Count("deliveries", filter=answered & Q(deliveries__answer__is_correct=True)),
            missed=Count("deliveries", filter=Q(deliveries__outcome=DeliveryOutcome.MISSED)),
            repeats_pending=Count(
                "deliveries",
                filter=Q(deliveries__attempt__gt=1, deliveries__outcome=DeliveryOutcome.WAITING),
            ),
            next_first_send=Min("deliveries__due_at", filter=waiting_first),
            first_sent=Min("deliveries__sent_at", filter=first),
        )
        .prefetch_related(Prefetch("threads", queryset=threads))
        .order_by("cancelled_at", "offset_days", "pk")
    )


def _mastered_by_spark(cohort: Cohort) -> Counter:
    """How many participants answered each knowledge spark right, sure of it, twice (one query)."""
    pairs = (
        SparkAnswer.objects.filter(answering.WELL_ANSWERED, delivery__spark__cohort=cohort)
        .values("delivery__spark_id", "delivery__participant_id")
        .annotate(good=Count("pk"))
        .filter(good__gte=answering.MASTERY_CORRECT)
        .values_list("delivery__spark_id", flat=True)
    )
    return Counter(pairs)


def _decorate(sparks, cohort: Cohort, mastered: Counter) -> None:
    for spark in sparks:
        spark.cohort = cohort
        spark.mastered = mastered.get(spark.pk, 0)
        spark.is_knowledge = spark.kind == SparkKind.KNOWLEDGE
        spark.right_rate = (
            round(100 * spark.right / spark.answered)
            if spark.is_knowledge and spark.answered
            else None
        )
        spark.planned_day = planning.first_day_of(spark) if spark.next_first_send is None else None
        spark.reschedule_form = RescheduleForm(
            initial={"offset_days": spark.offset_days}, auto_id=f"id_spark{spark.pk}_%s"
        )


def _plan_page(
    request: HttpRequest,
    cohort: Cohort,
    access: CohortAccess,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    # The sessions' bounds, read once, for the planned day of sparks without asks yet.
    cohort = _with_schedule(cohort)
    page = Paginator(_timeline_sparks(cohort), SPARKS_PER_PAGE).get_page(request.GET.get("page"))
    _decorate(page.object_list, cohort, _mastered_by_spark(cohort))
    schedule = planning.schedule_for(cohort)
    context = access.context(
        cohort,
        page=page,
        schedule=schedule,
        repeat_help=REPEAT_MODE_HELP[schedule.repeat_mode],
        participants=cohort.enrolments.filter(role=CohortRole.PARTICIPANT).count(),
        error=error,
    )
    return render(request, "sparks/plan/timeline.html", context, status=status)


def _with_schedule(cohort: Cohort) -> Cohort:
    return Cohort.objects.with_schedule().get(pk=cohort.pk)


@login_required
@require_GET
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    """The cohort's sparks: when each goes out, to how many, and what came back."""
    return _plan_page(request, *get_cohort_for(request.user, pk, "teach"))


def _spark_form_page(
    request: HttpRequest,
    cohort: Cohort,
    access: CohortAccess,
    *,
    spark: Spark | None = None,
    source_post: Post | None = None,
    initial: dict | None = None,
    choices_initial: list | None = None,
) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = SparkForm(data, initial=initial or {})
    choices = ChoiceFormSet(data, prefix="choices", initial=choices_initial or [])
    sent = planning.spark_has_sent(spark) if spark is not None else False
    if data is not None and form.clean_with(choices):
        try:
            saved = planning.spark_save(
                cohort=cohort,
                spark=spark,
                fields=form.spark_fields(),
                offset_days=form.cleaned_data["offset_days"],
                choices=form.choice_list,
                user=request.user,
                source_post=source_post,
            )
        except planning.SparkLocked as refusal:
            form.add_error(None, str(refusal))
        else:
            verb = "saved" if spark else "added to the plan"
            messages.success(request, f"Spark “{saved.question}” {verb}.")
            return redirect("sparks:plan", cohort.pk)
    context = access.context(
        cohort, spark=spark, sent=sent, source_post=source_post, form=form, choices=choices
    )
    status = 400 if data is not None else 200
    return render(request, "sparks/plan/spark_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def spark_new(request: HttpRequest, pk: int) -> HttpResponse:
    cohort, access = get_cohort_for(request.user, pk, "teach")
    kind = request.GET.get("kind")
    initial = {"kind": kind} if kind in SparkKind.values else None
    return _spark_form_page(request, cohort, access, initial=initial)


@login_required
@require_http_methods(["GET", "POST"])
def spark_from_post(request: HttpRequest, pk: int, thread_pk: int, post_pk: int) -> HttpResponse:
    """“Turn this post into a spark”: the authoring form, prefilled from a discussion post."""
    post, access = get_post_for(request.user, pk, thread_pk, post_pk, action="teach")
    cohort = post.thread.cohort
    # As a reader sees it: the question should not start as "**My answer:** @[Ann] …".
    text = post.thread.title if post.is_opening else plain_text(post.body)
    # A post in a study group suggests asking every group; one in the cohort's space, everyone.
    target = SparkTarget.GROUPS if post.thread.study_group_id else SparkTarget.COHORT
    initial = {"question": text.strip()[:500], "target": target}
    return _spark_form_page(request, cohort, access, source_post=post, initial=initial)


@login_required
@require_http_methods(["GET", "POST"])
def spark_edit(request: HttpRequest, pk: int, spark_pk: int) -> HttpResponse:
    spark, access = get_spark_for(request.user, pk, spark_pk)
    if spark.cancelled_at:
        messages.error(request, f"“{spark.question}” is cancelled: it no longer changes.")
        return redirect("sparks:plan", pk)
    initial = {name: getattr(spark, name) for name in planning.SPARK_FIELDS}
    initial["offset_days"] = spark.offset_days
    choices_initial = [{"text": c.text, "is_correct": c.is_correct} for c in spark.choices.all()]
    return _spark_form_page(
        request,
        spark.cohort,
        access,
        spark=spark,
        initial=initial,
        choices_initial=choices_initial,
    )


def _row_or_plan(
    request: HttpRequest, spark: Spark, access: CohortAccess, *, done: str = "", error: str = ""
) -> HttpResponse:
    """Answer a one-click change with its timeline row (htmx) or the timeline page."""
    if request.htmx:
        # htmx swaps only 2xx answers: the row comes back with the refusal written in it.
        cohort = _with_schedule(spark.cohort)
        row = _timeline_sparks(cohort).get(pk=spark.pk)
        _decorate([row], cohort, _mastered_by_spark(cohort))
        context = {"cohort": cohort, "spark": row, "row_error": error, "row_done": done}
        return render(request, "sparks/plan/timeline.html#spark-row", context)
    if error:
        return _plan_page(request, spark.cohort, access, error=error, status=400)
    messages.success(request, done)
    return redirect("sparks:plan", spark.cohort.pk)


@login_required
@require_POST
def spark_reschedule(request: HttpRequest, pk: int, spark_pk: int) -> HttpResponse:
    spark, access = get_spark_for(request.user, pk, spark_pk)
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        problem = "; ".join(form.errors["offset_days"])
        return _row_or_plan(request, spark, access, error=f"Not moved: {problem}")
    days = form.cleaned_data["offset_days"]
    try:
        planning.spark_reschedule(spark=spark, offset_days=days)
    except planning.SparkLocked as refusal:
        return _row_or_plan(request, spark, access, error=str(refusal))
    done = f"“{spark.question}” now goes out {days} day{pluralize(days)} after the workshop."
    day = planning.first_day_of(spark)
    if day is not None and day.date() < timezone.localtime(clock.now(), spark.cohort.tz).date():
        done += " That day has passed, so only asks not yet due move: use “Send now” to send it."
    return _row_or_plan(request, spark, access, done=done)


@login_required
@require_POST
def spark_cancel(request: HttpRequest, pk: int, spark_pk: int) -> HttpResponse:
    spark, access = get_spark_for(request.user, pk, spark_pk)
    if spark.cancelled_at:
        return _row_or_plan(request, spark, access, error="This spark is already cancelled.")
    stopped = planning.spark_cancel(spark=spark)
    return _row_or_plan(
        request,
        spark,
        access,
        done=f"“{spark.question}” is cancelled: {stopped} ask{pluralize(stopped)} will not go "
        "out. Asks already sent can still be answered.",
    )


@login_required
@require_POST
def spark_send_now(request: HttpRequest, pk: int, spark_pk: int) -> HttpResponse:
    spark, access = get_spark_for(request.user, pk, spark_pk)
    try:
        due = planning.spark_send_now(spark=spark)
    except planning.SparkLocked as refusal:
        return _row_or_plan(request, spark, access, error=str(refusal))
    if not due:
        return _row_or_plan(
            request, spark, access, error="Nothing to send: every participant has had this spark."
        )
    return _row_or_plan(
        request,
        spark,
        access,
        done=f"“{spark.question}” goes out to {due} participant{pluralize(due)} within a minute.",
    )


@login_required
@require_POST
def two_two_two(request: HttpRequest, pk: int) -> HttpResponse:
    """Add the 2 + 2 + 2 booster sparks: recall, application, integration.

    After a workshop long past, counted from the workshop some boosters would reach nobody: the
    instructor first chooses to start them from today or to add only those still ahead.
    """
    cohort, access = get_cohort_for(request.user, pk, "teach")
    passed = planning.two_two_two_passed(cohort)
    start = request.POST.get("start", "")
    if passed and start not in ("today", "ahead"):
        since = planning.days_since_workshop(cohort)
        context = access.context(
            cohort,
            since=since,
            passed=passed,
            ahead=[d for d, _, _ in planning.TWO_TWO_TWO if d not in passed],
            from_today=[since + d for d, _, _ in planning.TWO_TWO_TWO],
            too_late=since + planning.TWO_TWO_TWO[-1][0] > MAX_OFFSET_DAYS,
        )
        return render(request, "sparks/plan/two_two_two.html", context)
    from_day = planning.days_since_workshop(cohort) if passed and start == "today" else 0
    if from_day + planning.TWO_TWO_TWO[-1][0] > MAX_OFFSET_DAYS:
        messages.error(request, "The workshop ended too long ago to count boosters from today.")
        return redirect("sparks:plan", cohort.pk)
    added = planning.sparks_add_two_two_two(
        cohort=cohort, user=request.user, from_day=from_day, only_ahead=start == "ahead"
    )
    if added:
        days = ", ".join(f"+{spark.offset_days}" for spark in added)
        counted = " (counted from today)" if from_day else ""
        message = (
            f"{len(added)} booster spark{pluralize(len(added))} added, days {days} after the "
            f"workshop{counted}. Adapt their questions to your workshop."
        )
        if not cohort.enrolments.filter(role=CohortRole.PARTICIPANT).exists():
            message += " Nobody takes part yet: each participant gets them from when they join."
        messages.success(request, message)
    else:
        messages.info(request, "The plan already holds the 2 + 2 + 2 boosters.")
    return redirect("sparks:plan", cohort.pk)


@login_required
@require_http_methods(["GET", "POST"])
def schedule_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """The cohort's send window, weekdays and repeat mode; saving re-plans the asks to go."""
    cohort, access = get_cohort_for(request.user, pk, "teach")
    schedule = planning.schedule_for(cohort)
    form = SparkScheduleForm(
        request.POST if request.method == "POST" else None, initial=schedule_initial(schedule)
    )
    if form.is_valid():
        planning.spark_schedule_update(cohort=cohort, **form.cleaned_data)
        messages.success(request, "Send settings saved; asks still to go follow them.")
        return redirect("sparks:plan", cohort.pk)
    context = access.context(cohort, form=form, repeat_help=REPEAT_MODE_HELP)
    status = 400 if form.errors else 200
    return render(request, "sparks/plan/settings.html", context, status=status)
