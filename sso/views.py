from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.csp import CSP
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import get_organization_for
from accounts.models import Organization
from sso.access import get_sso_domain_for
from sso.adapter import social_app_for
from sso.forms import SsoConnectionForm, SsoDomainForm, SsoDomainVerifyForm, SsoStartForm
from sso.models import Protocol, SsoConnection
from sso.services import (
    SsoError,
    connection_for_email,
    domain_claims_for,
    sso_connection_save,
    sso_connection_test,
    sso_domain_add,
    sso_domain_remove,
    sso_domain_verification_send,
    sso_domain_verify,
)

CONNECTION_FIELDS = [
    "protocol",
    "name",
    "issuer",
    "client_id",
    "idp_metadata_url",
    "idp_entity_id",
    "idp_sso_url",
    "idp_certificate",
    "enabled",
    "required",
    "allow_domain_join",
]


def _settings_page(
    request: HttpRequest,
    organization: Organization,
    *,
    form: SsoConnectionForm | None = None,
    domain_form: SsoDomainForm | None = None,
    status: int = 200,
) -> HttpResponse:
    connection = SsoConnection.objects.filter(organization=organization).first()
    if form is None:
        initial = {"protocol": Protocol.OIDC, "enabled": True, "name": organization.name[:40]}
        if connection is not None:
            initial = {field: getattr(connection, field) for field in CONNECTION_FIELDS}
        form = SsoConnectionForm(
            initial=initial, has_secret=bool(connection and connection.has_secret)
        )
    if connection is not None:
        connection.organization = organization
    context = {
        "organization": organization,
        "connection": connection,
        "form": form,
        "domain_form": domain_form or SsoDomainForm(),
        "domains": domain_claims_for(organization),
        "preview": connection or SsoConnection(organization=organization),
    }
    return render(request, "sso/settings.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def sso_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """The organisation's single sign-on (its managers only): provider, domains, policy."""
    organization = get_organization_for(request.user, slug)
    if request.method == "GET":
        return _settings_page(request, organization)
    connection = SsoConnection.objects.filter(organization=organization).first()
    form = SsoConnectionForm(request.POST, has_secret=bool(connection and connection.has_secret))
    if not form.is_valid():
        return _settings_page(request, organization, form=form, status=400)
    sso_connection_save(organization=organization, **form.cleaned_data)
    messages.success(
        request, "Single sign-on settings saved. Test them before people rely on them."
    )
    return redirect("sso:settings", organization.slug)


@login_required
@require_POST
def sso_test(request: HttpRequest, slug: str) -> HttpResponse:
    organization = get_organization_for(request.user, slug)
    connection = SsoConnection.objects.filter(organization=organization).first()
    if connection is None:
        messages.error(request, "Save the single sign-on settings first.")
        return redirect("sso:settings", organization.slug)
    connection.organization = organization
    connection = sso_connection_test(connection=connection)
    if connection.last_test_ok:
        messages.success(request, "The identity provider answered as expected.")
    else:
        messages.error(request, "The test failed: " + connection.last_test_report)
    return redirect("sso:settings", organization.slug)


@login_required
@require_POST
def domain_add(request: HttpRequest, slug: str) -> HttpResponse:
    organization = get_organization_for(request.user, slug)
    form = SsoDomainForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, organization, domain_form=form, status=400)
    try:
        claim = sso_domain_add(
            organization=organization, domain=form.cleaned_data["domain"], added_by=request.user
        )
    except SsoError as error:
        form.add_error("domain", error.message)
        return _settings_page(request, organization, domain_form=form, status=400)
    if claim.verified_at:
        messages.success(request, f"{claim.domain} is verified: your own address is there.")
    else:
        messages.success(
            request, f"{claim.domain} added. Send a verification link to an address there."
        )
    return redirect("sso:settings", organization.slug)


@login_required
@require_POST
def domain_send(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    claim = get_sso_domain_for(request.user, slug, pk)
    form = SsoDomainVerifyForm(request.POST)
    if form.is_valid():
        try:
            sso_domain_verification_send(
                claim=claim, email=form.cleaned_data["email"], sent_by=request.user
            )
        except SsoError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                f"A verification link was sent to {claim.verification_sent_to}; "
                "the domain is verified when it is opened.",
            )
    else:
        messages.error(request, f"Give an email address at {claim.domain}.")
    return redirect("sso:settings", slug)


@login_required
@require_POST
def domain_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    claim = get_sso_domain_for(request.user, slug, pk)
    sso_domain_remove(claim=claim)
    messages.success(request, f"{claim.domain} removed: its addresses no longer use your SSO.")
    return redirect("sso:settings", slug)


@require_http_methods(["GET", "POST"])
def domain_verify(request: HttpRequest, token: str) -> HttpResponse:
    """The mailed link: opening it (then confirming) proves a mailbox at the domain."""
    if request.method == "GET":
        return render(request, "sso/domain_verify.html", {"token": token})
    try:
        claim = sso_domain_verify(token=token)
    except SsoError as error:
        return render(request, "sso/domain_verify.html", {"error": error.message}, status=400)
    return render(request, "sso/domain_verify.html", {"claim": claim})


@require_http_methods(["GET", "POST"])
def sso_start(request: HttpRequest) -> HttpResponse:
    """Sign in with your organisation's single sign-on, found from your email address.

    GET with an address shows its organisation's button; POSTing it (CSRF-protected, as allauth
    requires for starting a sign-in) sends the browser to the identity provider. That page allows
    the provider's origin in its CSP `form-action`, since browsers apply it to the redirect too.
    """
    data = request.POST if request.method == "POST" else None
    if data is None and "email" in request.GET:
        data = request.GET
    form = SsoStartForm(data)
    connection = None
    if data is not None and form.is_valid():
        connection = connection_for_email(form.cleaned_data["email"])
        if connection is None:
            form.add_error(
                "email",
                "No single sign-on is set up for this address: sign in with your password or "
                "a code.",
            )
        elif request.method == "POST":
            provider = social_app_for(connection).get_provider(request)
            return provider.redirect_from_request(request)
    context = {
        "form": form,
        "connection": connection,
        "next": request.GET.get("next") or request.POST.get("next", ""),
    }
    response = render(request, "sso/start.html", context, status=400 if form.errors else 200)
    if connection is not None:
        response._csp_config = {
            **settings.SECURE_CSP,
            "form-action": [CSP.SELF, connection.idp_origin()],
        }
    return response
