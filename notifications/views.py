from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from notifications.forms import PreferencesForm
from notifications.models import Notification
from notifications.services import (
    UnsubscribeLinkExpired,
    email_unsubscribe,
    notifications_mark_read,
    preferences_of,
    preferences_update,
    read_unsubscribe_token,
    unsubscribe_label,
)


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(request.user.notifications.all(), 30).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_GET
def badge(request: HttpRequest) -> HttpResponse:
    unread = Notification.objects.unread_by(request.user).count()
    return render(request, "notifications/_badge_poll.html", {"unread_notification_count": unread})


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
        unread = Notification.objects.unread_by(request.user).count()
        context = {"page": page, "unread_notification_count": unread}
        return render(request, "notifications/_mark_read.html", context)
    return redirect("notifications:list")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    current = preferences_of(request.user)
    form = PreferencesForm(request.POST if request.method == "POST" else None, instance=current)
    if form.is_valid():
        preferences_update(
            user=request.user,
            **{name: form.cleaned_data[name] for name in PreferencesForm.Meta.fields},
        )
        messages.success(request, "Your preferences are saved.")
        return redirect("notifications:preferences")
    status = 400 if form.errors else 200
    return render(request, "notifications/preferences.html", {"form": form}, status=status)


# Signed out by design: the link in the email is the credential. CSRF-exempt because mail
# providers send the RFC 8058 one-click POST without any token; the signed link protects it.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        named = read_unsubscribe_token(token)
    except UnsubscribeLinkExpired:
        return render(request, "notifications/unsubscribe_expired.html", status=410)
    if named is None:
        return render(request, "notifications/unsubscribe_invalid.html", status=400)
    user_id, kind = named
    context = {"token": token, "what": unsubscribe_label(kind)}
    # GET only asks: mail clients and scanners open links on their own.
    if request.method == "POST":
        email_unsubscribe(user_id=user_id, kind=kind)
        return render(request, "notifications/unsubscribe.html", {**context, "done": True})
    return render(request, "notifications/unsubscribe.html", context)
