from __future__ import annotations

from datetime import time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cohorts.models import Cohort, CohortRole, Enrolment
from cohorts.timeline import local_moment
from discussions.models import Post
from socialtraining import clock
from sparks import access, answering, links, participants
from sparks.forms import AnswerForm, ConfidenceForm, PauseForm
from sparks.models import (
    Delivery,
    DeliveryOutcome,
    SparkAnswer,
    SparkKind,
    SparkSettings,
    SparkTarget,
    SparkThread,
)

# Peers' answers shown on the answer page; the thread holds them all.
PEERS_SHOWN = 50


def _link_refused(request: HttpRequest, user_id: int) -> HttpResponse | None:
    """A friendly page for a link sent to someone else than the person signed in here."""
    if request.user.is_authenticated and request.user.pk != user_id:
        return render(request, "sparks/link_foreign.html", status=404)
    return None


@require_GET
def delivery_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link in a spark's email: opens that ask's answer page, without a password."""
    named = links.read_delivery_link(token)
    if named is None:
        return render(request, "sparks/link_invalid.html", status=400)
    delivery_id, user_id = named
    if refused := _link_refused(request, user_id):
        return refused
    if not request.user.is_authenticated:
        links.grant(request.session, delivery_id, user_id)
    return redirect("sparks:answer", delivery_id)


@require_GET
def choice_link(request: HttpRequest, token: str) -> HttpResponse:
    """A one-click answer from the email. GET writes nothing (mail scanners prefetch links): the
    page shows the pick and posts it, by a small script or by its button without JavaScript."""
    named = links.read_choice_link(token)
    if named is None:
        return render(request, "sparks/link_invalid.html", status=400)
    delivery_id, user_id, choice_id = named
    if refused := _link_refused(request, user_id):
        return refused
    if not request.user.is_authenticated:
        links.grant(request.session, delivery_id, user_id)
    delivery = access.get_delivery_to_answer(request, delivery_id)
    choice = delivery.spark.choices.filter(pk=choice_id).first() if delivery else None
    if choice is None:
        return render(request, "sparks/link_invalid.html", status=400)
    if delivery.outcome != DeliveryOutcome.WAITING or delivery.sent_at is None:
        return redirect("sparks:answer", delivery.pk)
    return render(request, "sparks/pick.html", {"delivery": delivery, "choice": choice})


def _peer_answers(thread_id: int) -> list[Post]:
    return list(
        Post.objects.filter(
            thread_id=thread_id,
            is_opening=False,
            parent__isnull=True,
            removed_at__isnull=True,
            hidden_at__isnull=True,
        )
        .select_related("author")
        .order_by("-created_at", "-pk")[:PEERS_SHOWN]
    )


def _thread_link(delivery, answer) -> str | None:
    if answer is not None and answer.post_id:
        return f"{answer.post.thread.get_absolute_url()}#post-{answer.post_id}"
    spark = delivery.spark
    group_id = None
    if spark.target == SparkTarget.GROUPS:
        # Each study group discusses in its own thread: never link into another group's.
        group_id = (
            Enrolment.objects.filter(cohort_id=spark.cohort_id, user_id=delivery.participant_id)
            .values_list("study_group_id", flat=True)
            .first()
        )
    link = (
        SparkThread.objects.filter(spark=spark, study_group_id=group_id)
        .select_related("thread")
        .first()
    )
    return link.thread.get_absolute_url() if link else None


def _problems(form: AnswerForm, refusal: str) -> list[tuple[str, str]]:
    """The error summary's lines: each field's errors link to that field's wrapper."""
    problems = [(f"field-{name}", e) for name, errors in form.errors.items() for e in errors]
    return problems + ([("", refusal)] if refusal else [])


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    """One ask: the question; once answered, right or wrong, the explanation and peers' answers."""
    delivery = access.get_delivery_to_answer(request, pk)
    if delivery is None:
        return redirect_to_login(request.get_full_path())
    spark = delivery.spark
    form = AnswerForm(request.POST if request.method == "POST" else None, spark=spark)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            answering.spark_answer(
                delivery=delivery,
                text=form.cleaned_data["text"],
                choice_ids=form.cleaned_data["choices"],
                confidence=form.cleaned_data.get("confidence"),
            )
        except (answering.SparkClosed, answering.AnswerInvalid) as refusal:
            error = str(refusal)
        else:
            return redirect("sparks:answer", delivery.pk)
    delivery.refresh_from_db()
    answered = delivery.outcome == DeliveryOutcome.ANSWERED
    answer = (
        SparkAnswer.objects.select_related("post__thread").get(delivery=delivery)
        if answered
        else None
    )
    peers = _peer_answers(answer.post.thread_id) if answer and answer.post_id else []
    peer_ids = {str(post.pk) for post in peers}
    # The 10-second poll sends the ids it shows: when they are unchanged nothing is swapped, so
    # neither keyboard focus nor a screen reader's place in the list moves.
    shown = set(filter(None, request.GET.get("shown", "").split(",")))
    if request.htmx and shown == peer_ids:
        return HttpResponse(status=204)
    context = {
        "delivery": delivery,
        "spark": spark,
        "form": form,
        "problems": _problems(form, error) if request.method == "POST" else [],
        "answered": answered,
        "answer": answer,
        "open": delivery.outcome == DeliveryOutcome.WAITING and delivery.sent_at is not None,
        "is_knowledge": spark.kind == SparkKind.KNOWLEDGE,
        "correct_answer": "; ".join(c.text for c in spark.choices.all() if c.is_correct),
        # Asked after a one-click answer, before the result: a judgement the result would colour.
        "asking_confidence": answered
        and spark.ask_confidence
        and answer.confidence is None
        and not request.GET.get("reveal"),
        "confidence_form": ConfidenceForm(),
        "thread_link": _thread_link(delivery, answer) if answered else None,
        "peers": peers,
        "peers_shown": ",".join(str(post.pk) for post in peers),
        "new_peer_answers": len(peer_ids - shown) if request.htmx else 0,
    }
    template = "sparks/answer.html#peers" if request.htmx else "sparks/answer.html"
    status = 400 if request.method == "POST" and (error or form.errors) else 200
    return render(request, template, context, status=status)


@require_POST
def confidence(request: HttpRequest, pk: int) -> HttpResponse:
    """ "How sure were you?" after a one-click answer; then the result shows."""
    delivery = access.get_delivery_to_answer(request, pk)
    if delivery is None:
        return redirect_to_login(request.get_full_path())
    form = ConfidenceForm(request.POST)
    if form.is_valid():
        try:
            answering.spark_answer_confidence(
                delivery=delivery, confidence=form.cleaned_data["confidence"]
            )
        except (answering.SparkClosed, answering.AnswerInvalid) as refusal:
            messages.error(request, str(refusal))
    else:
        messages.error(request, "Choose one of the four options, or skip.")
    return redirect("sparks:answer", delivery.pk)


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The participant's asks across cohorts: waiting, answered and missed."""
    asks = participants.sparks_inbox(user=request.user)
    # Every cohort the person takes part in, asked yet or not: a holiday can be set ahead.
    cohorts = Cohort.objects.filter(
        enrolments__user=request.user, enrolments__role=CohortRole.PARTICIPANT
    ).order_by("name")
    return render(request, "sparks/inbox.html", {**asks, "cohorts": list(cohorts)})


def _hold_until(cohort, form: PauseForm):
    if form.cleaned_data["days"]:
        return clock.now() + timedelta(days=form.cleaned_data["days"])
    return local_moment(cohort, form.cleaned_data["until"], time(0, 0))


@login_required
@require_http_methods(["GET", "POST"])
def spark_settings(request: HttpRequest, cohort_pk: int) -> HttpResponse:
    """A participant's sparks in one cohort: a vacation hold, resuming, opting out or back in."""
    cohort = access.get_cohort_as_participant(request.user, cohort_pk)
    today = clock.now().astimezone(cohort.tz).date()
    form = PauseForm(today=today)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "pause":
            form = PauseForm(request.POST, today=today)
            if form.is_valid():
                row = participants.sparks_pause(
                    cohort=cohort, user=request.user, until=_hold_until(cohort, form)
                )
                until = row.paused_until.astimezone(cohort.tz)
                messages.success(request, f"Sparks paused until {until:%A %-d %B}.")
                return redirect("sparks:my_settings", cohort.pk)
        elif action == "resume":
            participants.sparks_resume(cohort=cohort, user=request.user)
            messages.success(request, "Sparks resumed: the next one comes at its planned time.")
            return redirect("sparks:my_settings", cohort.pk)
        elif action == "opt_out":
            participants.sparks_opt_out(cohort=cohort, user=request.user)
            messages.success(request, f"You will get no more sparks from {cohort.name}.")
            return redirect("sparks:my_settings", cohort.pk)
        elif action == "opt_in":
            participants.sparks_opt_in(cohort=cohort, user=request.user)
            messages.success(request, f"Sparks from {cohort.name} are back on.")
            return redirect("sparks:my_settings", cohort.pk)
    row = SparkSettings.objects.filter(cohort=cohort, user=request.user).first()
    paused = row and row.paused_until and row.paused_until > clock.now()
    waiting = Delivery.objects.filter(
        spark__cohort=cohort,
        participant=request.user,
        sent_at__isnull=True,
        outcome=DeliveryOutcome.WAITING,
    )
    context = {
        "cohort": cohort,
        "form": form,
        "paused_until": row.paused_until.astimezone(cohort.tz) if paused else None,
        "opted_out": bool(row and row.opted_out_at),
        "ahead": waiting.count(),
        "next_due": waiting.order_by("due_at").values_list("due_at", flat=True).first(),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "sparks/settings.html", context, status=status)
