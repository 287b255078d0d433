from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from discussions.services import thread_url
from sparks import access, links, services
from sparks.forms import AnswerForm
from sparks.models import DeliveryOutcome, SparkKind, SparkThread


@require_GET
def delivery_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link in a spark's email: opens that ask's answer page, without a password."""
    named = links.read_delivery_link(token)
    if named is None:
        return render(request, "sparks/link_invalid.html", status=400)
    delivery_id, user_id = named
    if not request.user.is_authenticated:
        links.grant(request.session, delivery_id, user_id)
    return redirect("sparks:answer", delivery_id)


def _thread_link(delivery) -> str | None:
    answer = getattr(delivery, "answer", None)
    if answer is not None and answer.post_id:
        return f"{thread_url(answer.post.thread)}#post-{answer.post_id}"
    link = SparkThread.objects.filter(spark=delivery.spark).select_related("thread").first()
    return thread_url(link.thread) if link else None


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    """One ask: the question, then (once answered) the explanation and the way to the discussion."""
    delivery = access.get_delivery_to_answer(request, pk)
    if delivery is None:
        return redirect_to_login(request.get_full_path())
    spark = delivery.spark
    form = AnswerForm(request.POST if request.method == "POST" else None, spark=spark)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.spark_answer(
                delivery=delivery,
                text=form.cleaned_data["text"],
                choice_ids=form.cleaned_data["choices"],
                confidence=form.cleaned_data["confidence"],
            )
        except (services.SparkClosed, services.AnswerInvalid) as refusal:
            error = str(refusal)
        else:
            return redirect("sparks:answer", delivery.pk)
    delivery.refresh_from_db()
    answered = delivery.outcome == DeliveryOutcome.ANSWERED
    context = {
        "delivery": delivery,
        "spark": spark,
        "form": form,
        "error": error,
        "answered": answered,
        "answer": getattr(delivery, "answer", None) if answered else None,
        "open": delivery.outcome == DeliveryOutcome.WAITING and delivery.sent_at is not None,
        "is_knowledge": spark.kind == SparkKind.KNOWLEDGE,
        "thread_link": _thread_link(delivery) if answered else None,
    }
    status = 400 if request.method == "POST" and (error or form.errors) else 200
    return render(request, "sparks/answer.html", context, status=status)
