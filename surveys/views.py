from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from surveys import access, links


@require_GET
def round_link(request: HttpRequest, token: str) -> HttpResponse:
    """The one-click link from a round's email: opens that person's form, without a password."""
    link = links.read_round_link(token)
    round_ = access.round_for_link(link) if link else None
    if round_ is None:
        return render(request, "surveys/link_invalid.html", status=400)
    links.grant(request.session, link)
    return redirect("surveys:answer", round_.cohort_id, round_.pk)
