"""What waits for a participant in the discussions, for the home page's "what to do now"."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from discussions import access

WAITING_SHOWN = 10


@login_required
@require_GET
def waiting(request: HttpRequest) -> HttpResponse:
    """Threads with something new: never opened (a new prompt, a new thread) or with others'
    posts since the last visit. The home page loads it with htmx; nothing when nothing waits."""
    user = request.user
    threads = list(
        access.threads_of_participant(user)
        .select_related("cohort", "study_group")
        .with_unread_for(user)
        .filter((Q(read_at__isnull=True) & ~Q(author=user)) | Q(new_posts__gt=0))
        .order_by("-last_activity_at", "-pk")[:WAITING_SHOWN]
    )
    template = "discussions/waiting.html"
    if request.htmx:
        template += "#waiting"
    return render(request, template, {"threads": threads})
