from allauth.account.models import EmailAddress
from django.contrib import messages
from django.contrib.auth import login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from accounts.forms import InvitationAcceptForm
from accounts.models import User
from accounts.services import InvitationError, invitation_from_token
from accounts.services import invitation_accept as accept


def _invalid(request: HttpRequest, error: InvitationError) -> HttpResponse:
    status = 400 if error.reason == "invalid" else 410
    return render(request, "accounts/invitation_invalid.html", {"error": error}, status=status)


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an invitation: set a password for a new account, or attach an existing one."""
    try:
        invitation = invitation_from_token(token)
    except InvitationError as error:
        return _invalid(request, error)

    existing = User.objects.filter(email__iexact=invitation.email).first()
    context = {"invitation": invitation, "organization": invitation.organization}

    if existing and existing.has_usable_password():
        if not request.user.is_authenticated:
            login_url = reverse("account_login") + "?" + urlencode({"next": request.path})
            return render(
                request, "accounts/invitation_sign_in.html", {**context, "login_url": login_url}
            )
        if request.user.pk != existing.pk:
            return render(request, "accounts/invitation_wrong_user.html", context, status=403)
        if request.method == "POST":
            try:
                accept(invitation=invitation, user=existing)
            except InvitationError as error:
                return _invalid(request, error)
            messages.success(request, f"You joined {invitation.organization}.")
            return redirect("home")
        return render(request, "accounts/invitation_join.html", context)

    if request.user.is_authenticated and (existing is None or request.user.pk != existing.pk):
        return render(request, "accounts/invitation_wrong_user.html", context, status=403)

    form = InvitationAcceptForm(
        request.POST or None,
        user=existing,
        initial={
            "display_name": (existing.display_name if existing else "") or invitation.display_name
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = existing or User(email=invitation.email)
                user.display_name = form.cleaned_data["display_name"]
                user.set_password(form.cleaned_data["password1"])
                user.save()
                # Following the emailed link proves the address belongs to this person.
                EmailAddress.objects.update_or_create(
                    user=user, email=user.email, defaults={"verified": True, "primary": True}
                )
                accept(invitation=invitation, user=user)
        except InvitationError as error:
            return _invalid(request, error)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to {invitation.organization}, {user.name}.")
        return redirect("home")
    return render(request, "accounts/invitation_accept.html", {**context, "form": form})
