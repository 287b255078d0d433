"""The LTI tool's endpoints (called by LMSs) and the managers' LMS registrations page.

CSRF: `login`, `launch` and `deep_link_choose` are exempt, because the LMS posts them from its
own origin (or its frame, where our CSRF cookie is a third-party cookie). Each is protected by
LTI's own checks instead: the launch's id token is verified against the platform's keys (issuer,
audience, expiry, deployment), its `state` must match the cookie set at login and its nonce is
single-use; a deep-linking choice needs the random token of a validated launch, used once, within
LTI_LAUNCH_MAX_AGE. `login` only starts that handshake and changes nothing.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.csp import CSP
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pylti1p3.contrib.django import DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.contrib.django.launch_data_storage.cache import DjangoCacheDataStorage
from pylti1p3.exception import LtiException, OIDCException

from accounts.access import get_organization_for
from cohorts.access import cohorts_taught_by, get_cohort_for
from lti.access import get_lti_context_for, get_lti_platform_for
from lti.deep_linking import (
    lti_deep_link_request_create,
    lti_deep_link_request_open,
    lti_deep_link_respond,
)
from lti.forms import DeepLinkChoiceForm, LtiPlatformForm
from lti.launches import LtiError, lti_launch, lti_nonce_use
from lti.models import LtiContext, LtiPlatform, LtiRosterEntry, RosterStatus, Target
from lti.registrations import lti_platform_save
from lti.syncs import lti_roster_sync_now
from lti.tool import PlatformToolConf, public_jwk
from surveys.access import get_round_for
from surveys.models import Round, RoundStatus

PLATFORM_FIELDS = [
    "name",
    "issuer",
    "client_id",
    "auth_login_url",
    "auth_token_url",
    "key_set_url",
    "auth_audience",
]


def _launch_url() -> str:
    return settings.SITE_URL + reverse("lti:launch")


def _refused(request: HttpRequest, message: str, *, sign_in: bool = False, status: int = 400):
    return render(
        request, "lti/refused.html", {"message": message, "sign_in": sign_in}, status=status
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# --- Endpoints the LMS calls ---


@require_GET
def jwks(request: HttpRequest, pk: int) -> JsonResponse:
    """The tool's public key for one registration (the "public JWK URL" given to the LMS)."""
    platform = LtiPlatform.objects.filter(pk=pk).first()
    if platform is None:
        raise Http404("No such registration.")
    return JsonResponse({"keys": [public_jwk(platform)]})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """OIDC third-party initiated login: send the browser back to the LMS with state and nonce."""
    oidc_login = DjangoOIDCLogin(
        request, PlatformToolConf(), launch_data_storage=DjangoCacheDataStorage()
    )
    try:
        return oidc_login.redirect(_launch_url())
    except (LtiException, OIDCException) as error:
        return _refused(request, f"This LMS is not registered here ({error}).")


@csrf_exempt
@xframe_options_exempt
@require_POST
def launch(request: HttpRequest) -> HttpResponse:
    """A signed launch from the LMS: sign the person in and open what the link points to."""
    tool_conf = PlatformToolConf()
    message_launch = DjangoMessageLaunch(
        request, tool_conf, launch_data_storage=DjangoCacheDataStorage()
    )
    try:
        data = message_launch.get_launch_data()
    except LtiException as error:
        return _refused(request, f"The launch could not be verified: {error}", status=403)
    aud = data.get("aud")
    client_id = aud[0] if isinstance(aud, list) else aud
    platform = tool_conf.platform(data["iss"], client_id)
    signed_in = request.user if request.user.is_authenticated else None
    try:
        lti_nonce_use(platform=platform, nonce=data["nonce"])
        if message_launch.is_deep_link_launch():
            request_row = lti_deep_link_request_create(
                platform=platform, data=data, signed_in=signed_in
            )
            return _deep_link_page(request, request_row)
        result = lti_launch(platform=platform, data=data, signed_in=signed_in)
    except LtiError as error:
        return _refused(request, error.message, sign_in=error.sign_in, status=403)
    auth_login(request, result.user, backend="django.contrib.auth.backends.ModelBackend")
    link = result.link
    if link.target == Target.ROUND and link.round_id:
        return redirect("surveys:answer", cohort_pk=result.cohort.pk, pk=link.round_id)
    if link.target == Target.SPARKS:
        return redirect("sparks:inbox")
    return redirect("cohorts:detail", result.cohort.pk)


def _deep_link_page(request: HttpRequest, request_row, *, form=None, status: int = 200):
    user, organization = request_row.user, request_row.platform.organization
    cohorts = list(cohorts_taught_by(user).filter(organization=organization).order_by("name", "pk"))
    rounds = (
        Round.objects.filter(cohort__in=cohorts)
        .exclude(status=RoundStatus.CANCELLED)
        .select_related("survey")
        .order_by("opens_at", "pk")
    )
    rounds_by_cohort: dict[int, list] = {}
    for round_ in rounds:
        rounds_by_cohort.setdefault(round_.cohort_id, []).append(round_)
    context = {
        "request_row": request_row,
        "choices": [(cohort, rounds_by_cohort.get(cohort.pk, [])) for cohort in cohorts],
        "form": form,
    }
    response = render(request, "lti/deep_link.html", context, status=status)
    return _framable_by_lms(response, request_row.settings.get("deep_link_return_url", ""))


def _framable_by_lms(response: HttpResponse, return_url: str) -> HttpResponse:
    """LMSs show deep linking in a frame and take the answer back by a form post to their URL."""
    if return_url:
        origin = _origin(return_url)
        response._csp_config = {
            **settings.SECURE_CSP,
            "frame-ancestors": [origin],
            "form-action": [CSP.SELF, origin],
        }
        response.xframe_options_exempt = True
    return response


@csrf_exempt
@xframe_options_exempt
@require_POST
def deep_link_choose(request: HttpRequest, token: str) -> HttpResponse:
    """The instructor's choice, signed and posted back to the LMS."""
    request_row = lti_deep_link_request_open(token)
    if request_row is None:
        return _refused(
            request, "This choice expired or was sent already: add content again from your course."
        )
    form = DeepLinkChoiceForm(request.POST)
    if not form.is_valid():
        return _deep_link_page(request, request_row, form=form, status=400)
    kind, cohort_pk, round_pk = form.cleaned_data["choice"]
    # The instructor may only place what they teach, in the platform's organisation.
    cohort, _ = get_cohort_for(request_row.user, cohort_pk, "teach")
    round_ = get_round_for(request_row.user, cohort.pk, round_pk) if round_pk else None
    if cohort.organization_id != request_row.platform.organization_id:
        raise Http404("No such cohort.")
    try:
        jwt, return_url = lti_deep_link_respond(
            request_row=request_row,
            cohort=cohort,
            target={"cohort": Target.COHORT, "round": Target.ROUND, "sparks": Target.SPARKS}[kind],
            round_=round_,
            launch_url=_launch_url(),
        )
    except LtiError as error:
        return _refused(request, error.message)
    response = render(request, "lti/deep_link_return.html", {"jwt": jwt, "return_url": return_url})
    return _framable_by_lms(response, return_url)


# --- The managers' pages ---


@login_required
@require_http_methods(["GET", "POST"])
def platforms(request: HttpRequest, slug: str) -> HttpResponse:
    """The organisation's LMS registrations and the values to give an LMS administrator."""
    organization = get_organization_for(request.user, slug)
    form = LtiPlatformForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            platform = lti_platform_save(organization=organization, **form.cleaned_data)
        except LtiError as error:
            form.add_error("client_id", error.message)
        else:
            messages.success(request, f"{platform.name} is registered.")
            return redirect("lti:platform", organization.slug, platform.pk)
    registered = LtiPlatform.objects.filter(organization=organization).annotate(
        course_count=Count("contexts")
    )
    context = {
        "organization": organization,
        "platforms": registered,
        "form": form,
        "tool": _tool_values(),
    }
    return render(request, "lti/platforms.html", context, status=400 if form.errors else 200)


def _tool_values() -> dict:
    return {
        "login_url": settings.SITE_URL + reverse("lti:login"),
        "launch_url": _launch_url(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def platform_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    platform = get_lti_platform_for(request.user, slug, pk)
    initial = {field: getattr(platform, field) for field in PLATFORM_FIELDS}
    initial["deployment_ids"] = "\n".join(platform.deployment_ids)
    form = LtiPlatformForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            lti_platform_save(
                organization=platform.organization, platform=platform, **form.cleaned_data
            )
        except LtiError as error:
            form.add_error("client_id", error.message)
        else:
            messages.success(request, f"{platform.name} saved.")
            return redirect("lti:platform", slug, platform.pk)
    courses = (
        LtiContext.objects.filter(platform=platform)
        .select_related("cohort", "sync")
        .annotate(
            active_count=Count("roster", filter=Q(roster__status=RosterStatus.ACTIVE)),
            removed_count=Count("roster", filter=Q(roster__status=RosterStatus.REMOVED)),
        )
        .order_by("title", "pk")
    )
    removed = (
        LtiRosterEntry.objects.filter(context__platform=platform, status=RosterStatus.REMOVED)
        .select_related("user", "context")
        .order_by("-removed_at")[:50]
    )
    context = {
        "organization": platform.organization,
        "platform": platform,
        "form": form,
        "courses": courses,
        "removed": removed,
        "tool": {
            **_tool_values(),
            "jwks_url": settings.SITE_URL + reverse("lti:jwks", args=[platform.pk]),
        },
    }
    return render(request, "lti/platform.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def roster_sync(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    course = get_lti_context_for(request.user, slug, pk)
    if not course.memberships_url or course.cohort_id is None:
        messages.error(request, "This course gave no roster service, or has no cohort yet.")
    else:
        lti_roster_sync_now(context=course)
        messages.success(request, f"The roster of {course} is synced in a moment.")
    return redirect("lti:platform", slug, course.platform_id)
