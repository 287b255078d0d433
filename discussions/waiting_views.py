"""What waits for a participant in the discussions, on a page of its own (the home page shows the
same list, `follows.threads_waiting_for`)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from discussions.follows import WAITING_SHOWN, threads_waiting_for


@login_required
@require_GET
def waiting(request: HttpRequest) -> HttpResponse:
    """Threads with something new; with htmx, only the section (nothing when nothing waits)."""
    threads = list(threads_waiting_for(request.user)[:WAITING_SHOWN])
    template = "discussions/waiting.html"
    if request.htmx:
        template += "#waiting"
    return render(request, template, {"threads": threads})
