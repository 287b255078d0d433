from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from notifications.services import notifications_mark_read


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(request.user.notifications.all(), 30).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_GET
def badge(request: HttpRequest) -> HttpResponse:
    return render(request, "notifications/_badge_poll.html")


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    notification_id = request.POST.get("notification")
    notifications_mark_read(
        user=request.user,
        notification_id=int(notification_id)
        if notification_id and notification_id.isdigit()
        else None,
    )
    if request.htmx:
        page = Paginator(request.user.notifications.all(), 30).get_page(request.POST.get("page"))
        # The list, and the header's unread badge out of band, so both agree at once.
        return render(request, "notifications/_mark_read.html", {"page": page})
    return redirect("notifications:list")
