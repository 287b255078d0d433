from collections.abc import Callable

from allauth.account.models import EmailAddress
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import get_invitation_for, get_membership_for, get_organization_for
from accounts.forms import InvitationAcceptForm, InvitationForm, RoleForm
from accounts.models import Invitation, Membership, Organization, Role, User
from accounts.services import (
    InvitationError,
    MembershipError,
    invitation_create,
    invitation_from_token,
    invitation_lock_open,
    invitation_resend,
    invitation_revoke,
    membership_role_change,
)
from accounts.services import invitation_accept as accept

PEOPLE_PAGE_SIZE = 50


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
                # Locked before the account is written, so a second submit waits and is refused.
                invitation_lock_open(invitation=invitation)
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


# The organisation's people page (managers only)


def _people_url(slug: str, request: HttpRequest) -> str:
    """The people page, on the pages of the lists the action was taken from."""
    url = reverse("accounts:org_people", args=[slug])
    pages = {
        name: request.POST[name]
        for name in ("page", "invitations_page")
        if request.POST.get(name, "").isdigit()
    }
    return f"{url}?{urlencode(pages)}" if pages else url


@login_required
@require_http_methods(["GET", "POST"])
def org_people(request: HttpRequest, slug: str) -> HttpResponse:
    """Members and their roles, invitations, and a form to invite someone."""
    organization = get_organization_for(request.user, slug)
    form = InvitationForm(request.POST or None, organization=organization)
    if form.is_valid():
        invitation = invitation_create(
            organization=organization,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            display_name=form.cleaned_data["display_name"],
            invited_by=request.user,
        )
        messages.success(request, f"Invitation sent to {invitation.email}.")
        return redirect("accounts:org_people", slug)
    members = (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__display_name", "user__email", "pk")
    )
    invitations = Invitation.objects.filter(organization=organization).select_related("invited_by")
    context = {
        "organization": organization,
        "form": form,
        "roles": Role.choices,
        "members": Paginator(members, PEOPLE_PAGE_SIZE).get_page(request.GET.get("page")),
        "invitations": Paginator(
            invitations.order_by("-created_at", "-pk"), PEOPLE_PAGE_SIZE
        ).get_page(request.GET.get("invitations_page")),
    }
    return render(request, "accounts/org_people.html", context, status=400 if form.errors else 200)


def _row_or_back(
    request: HttpRequest,
    organization: Organization,
    partial: str,
    context: dict,
    *,
    done: str,
    error: str = "",
) -> HttpResponse:
    """The updated table row for htmx (errors shown in it); otherwise back to the page."""
    if request.htmx:
        # htmx swaps only 2xx responses, so an error comes back in the row with status 200.
        context = {"organization": organization, "roles": Role.choices, "error": error, **context}
        return render(request, f"accounts/org_people.html#{partial}", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return redirect(_people_url(organization.slug, request))


@login_required
@require_POST
def member_role_change(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = get_membership_for(request.user, slug, pk)
    form = RoleForm(request.POST)
    error = ""
    if not form.is_valid():
        error = "Choose a role from the list."
    else:
        try:
            membership_role_change(
                membership=membership, role=form.cleaned_data["role"], changed_by=request.user
            )
        except MembershipError as exc:
            error = exc.message
    return _row_or_back(
        request,
        membership.organization,
        "member-row",
        {"membership": membership},
        done=f"{membership.user.name} is now {membership.get_role_display().lower()}.",
        error=error,
    )


@login_required
@require_POST
def invitation_resend_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    invitation = get_invitation_for(request.user, slug, pk)
    return _invitation_change(
        request,
        invitation,
        invitation_resend,
        done=f"A new link was sent to {invitation.email}; older links no longer work.",
        resent=True,
    )


@login_required
@require_POST
def invitation_revoke_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    invitation = get_invitation_for(request.user, slug, pk)
    return _invitation_change(
        request,
        invitation,
        invitation_revoke,
        done=f"The invitation for {invitation.email} was withdrawn.",
    )


def _invitation_change(
    request: HttpRequest,
    invitation: Invitation,
    change: Callable[..., Invitation],
    *,
    done: str,
    resent: bool = False,
) -> HttpResponse:
    """Apply `change` (a service that refuses with InvitationError) and show the row or go back."""
    error = ""
    try:
        invitation = change(invitation=invitation)
    except InvitationError as exc:
        error = exc.message
    return _row_or_back(
        request,
        invitation.organization,
        "invitation-row",
        {"invitation": invitation, "resent": resent and not error},
        done=done,
        error=error,
    )
