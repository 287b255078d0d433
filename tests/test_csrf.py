"""CSRF on every write: each URL that accepts POST refuses one without the token, htmx included.

CASES holds one line per URL pattern that accepts POST, with ids from the access matrix's world;
`test_it_covers_every_view_that_accepts_post` walks the URL resolver and fails when a view that
accepts POST (by its require_POST / require_http_methods decorator, or by having none) is missing,
so a new write view cannot ship without its case here.

To add a case: append `Case(url)` to CASES, signed in as the manager, or `as_user=` another
persona of tests/conftest.py (or "anonymous") when only they may post there. The URL is a format
string over the ids of the access matrix's `_ids` (tests/test_access_matrix.py): add an object
there when the URL needs one. Each case runs four times: without the token and with it, as a form
and as htmx. The world is built once for the module and each case runs in its own savepoint.
"""

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils.crypto import get_random_string

from accounts.models import Invitation
from accounts.services import invitation_token
from tests.test_access_matrix import _ids as matrix_ids
from tests.test_access_matrix import sso_lti_ids


@dataclass(frozen=True)
class Case:
    url: str  # a format string over the ids of `ids` below
    as_user: str = "manager"  # the persona signed in, or "anonymous"


CASES = [
    Case("/notifications/read/"),
    Case("/org/{org}/people/"),
    Case("/org/{org}/people/{membership}/role/"),
    Case("/org/{org}/invitations/{invitation}/resend/"),
    Case("/org/{org}/invitations/{invitation}/revoke/"),
    # The invited person is not signed in yet: a signed-in manager would be "the wrong user".
    Case("/invitations/{invitation_token}/", as_user="anonymous"),
    Case("/org/{org}/cohorts/new/"),
    Case("/cohorts/{cohort}/edit/"),
    Case("/cohorts/{cohort}/people/"),
    Case("/cohorts/{cohort}/people/{enrolment}/remove/"),
    Case("/cohorts/{cohort}/people/{enrolment}/group/"),
    Case("/cohorts/{cohort}/roster/"),
    Case("/cohorts/{cohort}/roster/{roster_import}/"),
    Case("/cohorts/{cohort}/groups/"),
    Case("/cohorts/{cohort}/groups/split/"),
    Case("/cohorts/{cohort}/groups/{group}/rename/"),
    Case("/cohorts/{cohort}/discussions/new/"),
    Case("/cohorts/{cohort}/groups/{group}/discussions/new/"),
    Case("/cohorts/{cohort}/threads/{thread}/reply/"),
    Case("/cohorts/{cohort}/threads/{thread}/posts/{reply}/comment/"),
    Case("/cohorts/{cohort}/prompts/new/"),
    Case("/cohorts/{cohort}/prompts/{prompt}/edit/"),
    Case("/cohorts/{cohort}/prompts/{prompt}/cancel/"),
    Case("/cohorts/{cohort}/prompts/{prompt}/publish/"),
    Case("/sparks/{delivery}/", as_user="participant"),
    Case("/sparks/{delivery}/confidence/", as_user="participant"),
    Case("/sparks/cohorts/{cohort}/settings/", as_user="participant"),
    Case("/cohorts/{cohort}/surveys/new/"),
    Case("/cohorts/{cohort}/surveys/{survey}/settings/"),
    Case("/cohorts/{cohort}/surveys/{survey}/new-version/"),
    Case("/cohorts/{cohort}/surveys/{survey}/questions/new/?kind=likert"),
    Case("/cohorts/{cohort}/surveys/{survey}/questions/{question}/"),
    Case("/cohorts/{cohort}/surveys/{survey}/questions/{question}/move/"),
    Case("/cohorts/{cohort}/surveys/{survey}/questions/{question}/delete/"),
    Case("/cohorts/{cohort}/surveys/{survey}/rounds/new/"),
    Case("/cohorts/{cohort}/surveys/{survey}/rounds/standard/"),
    Case("/cohorts/{cohort}/surveys/rounds/{round}/edit/"),
    Case("/cohorts/{cohort}/surveys/rounds/{round}/cancel/"),
    Case("/cohorts/{cohort}/surveys/rounds/{open_round}/", as_user="participant"),
    Case("/cohorts/{cohort}/surveys/rounds/{open_round}/draft/", as_user="participant"),
    Case("/cohorts/{cohort}/threads/{thread}/follow/"),
    Case("/notifications/preferences/"),
    Case("/cohorts/{cohort}/threads/{thread}/posts/{reply}/react/"),
    Case("/cohorts/{cohort}/threads/{thread}/posts/{reply}/endorse/"),
    Case("/cohorts/{cohort}/threads/{thread}/posts/{reply}/edit/", as_user="participant"),
    Case("/cohorts/{cohort}/threads/{thread}/posts/{reply}/remove/"),
    Case("/cohorts/{cohort}/threads/{thread}/pin/"),
    Case("/cohorts/{cohort}/threads/{thread}/lock/"),
    Case("/cohorts/{cohort}/threads/{thread}/posts/{reply}/flag/"),
    Case("/cohorts/{cohort}/threads/{thread}/posts/{reply}/hide/"),
    Case("/cohorts/{cohort}/threads/{thread}/posts/{reply}/restore/"),
    Case("/cohorts/{cohort}/threads/{thread}/posts/{reply}/dismiss/"),
    # Instructor spark plan (sparks/plan_views.py).
    Case("/cohorts/{cohort}/sparks/new/"),
    Case("/cohorts/{cohort}/sparks/two-two-two/"),
    Case("/cohorts/{cohort}/sparks/settings/"),
    Case("/cohorts/{cohort}/sparks/{spark}/edit/"),
    Case("/cohorts/{cohort}/sparks/{spark}/reschedule/"),
    Case("/cohorts/{cohort}/sparks/{spark}/cancel/"),
    Case("/cohorts/{cohort}/sparks/{spark}/send-now/"),
    Case("/cohorts/{cohort}/sparks/lift/start/"),
    Case("/cohorts/{cohort}/sparks/lift/stop/"),
    Case("/cohorts/{cohort}/insights/confident-wrong/{alert}/thread/"),
    Case("/cohorts/{cohort}/threads/{thread}/posts/{reply}/spark/"),
    Case("/org/{org}/xapi/"),
    # Cohort dashboard (insights/cohort/views.py).
    Case("/cohorts/{cohort}/insights/nudge/"),
    # Coaching (coaching app).
    Case("/cohorts/{cohort}/people/{enrolment}/coach/"),
    Case("/cohorts/{cohort}/coaching/prompts/{booster}/"),
    Case("/coaching/observations/{observation_round}/people/{enrolment}/", as_user="coach"),
    # allauth's forms our users post to most; the rest of allauth is left out below.
    Case("/accounts/login/", as_user="anonymous"),
    Case("/accounts/logout/"),
    Case("/accounts/password/change/"),
    # Single sign-on (sso app) and LMS registrations (lti app).
    Case("/org/{org}/sso/"),
    Case("/org/{org}/sso/test/"),
    Case("/org/{org}/sso/domains/"),
    Case("/org/{org}/sso/domains/{sso_domain}/send/"),
    Case("/org/{org}/sso/domains/{sso_domain}/remove/"),
    Case("/sso/domains/verify/not-a-token/", as_user="anonymous"),
    Case("/sso/", as_user="anonymous"),
    Case("/org/{org}/lti/"),
    Case("/org/{org}/lti/{lti_platform}/"),
    Case("/org/{org}/lti/courses/{lti_context}/sync/"),
]


def _patterns(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def _allowed_methods(view) -> set[str] | None:
    """The methods a view's decorators allow, or None when nothing restricts them."""
    if hasattr(view, "view_class"):
        cls = view.view_class
        return {m.upper() for m in cls.http_method_names if hasattr(cls, m)}
    func = view
    while func is not None:
        # require_http_methods keeps its list in the closure of the function it returns.
        for cell in func.__closure__ or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if (
                isinstance(value, list | tuple)
                and value
                and all(isinstance(m, str) and m.isupper() for m in value)
            ):
                return set(value)
        func = getattr(func, "__wrapped__", None)
    return None


def _post_views() -> dict[str, str]:
    """Every project view that accepts POST: its route, by `module.name`."""
    found = {}
    for route, view in _patterns(get_resolver().url_patterns):
        # Django's admin and allauth's own views are theirs, protected by the same middleware
        # and tested upstream; the allauth forms our pages use are in CASES all the same.
        # Everything under accounts/ is allauth's URLconf (socialaccount adds plain RedirectViews).
        if route.startswith(("admin/", "accounts/")) or view.__module__.startswith("allauth."):
            continue
        methods = _allowed_methods(view)
        if methods is None or "POST" in methods:
            found[f"{view.__module__}.{view.__name__}:{route}"] = route
    return found


def _case_key(case: Case) -> str:
    match = resolve(case.url.split("?")[0].format_map(_Placeholders()))
    return f"{match.func.__module__}.{match.func.__name__}:{match.route}"


class _Placeholders(dict):
    # Any id resolves the same pattern: the completeness check needs no database.
    def __missing__(self, key):
        return "1"


# Writes that take no CSRF token on purpose, each with its reason and its own protection.
CSRF_EXEMPT = {
    # RFC 8058 one-click unsubscribe: mail providers POST without any token of ours; the signed,
    # salted token in the URL is what protects it (tests/notifications/test_unsubscribe.py).
    "notifications.views.unsubscribe:notifications/unsubscribe/<str:token>/",
    # LTI 1.3: the LMS posts these from its own origin or frame. The launch is protected by its
    # signed id token (platform keys, issuer, audience, expiry, deployment), the state cookie of
    # the login step and a single-use nonce; a deep-linking choice by the random token of a
    # validated launch, used once; the login step changes nothing (tests/lti/).
    "lti.views.login:lti/login/",
    "lti.views.launch:lti/launch/",
    "lti.views.deep_link_choose:lti/deep-link/<str:token>/",
}


def test_it_covers_every_view_that_accepts_post():
    covered = {_case_key(case) for case in CASES} | CSRF_EXEMPT
    missing = sorted(set(_post_views()) - covered)
    assert not missing, f"Add a Case to tests/test_csrf.py for: {missing}"


def test_it_exempts_only_views_that_say_so():
    views = {key: view for key, view in _post_view_functions().items() if key in CSRF_EXEMPT}
    assert set(views) == CSRF_EXEMPT
    assert all(getattr(view, "csrf_exempt", False) for view in views.values())


def _post_view_functions() -> dict:
    return {
        f"{view.__module__}.{view.__name__}:{route}": view
        for route, view in _patterns(get_resolver().url_patterns)
    }


def test_it_finds_post_views_by_their_decorators():
    # A check that cannot fail is a defect: the walker must see known POST and GET-only views.
    routes = set(_post_views().values())
    assert "cohorts/<int:pk>/threads/<int:thread_pk>/reply/" in routes
    assert "cohorts/<int:pk>/discussions/new/" in routes
    assert "cohorts/<int:pk>/threads/<int:thread_pk>/" not in routes
    assert "invitations/<str:token>/" in routes


@pytest.fixture(scope="module")
def ids(module_world, django_db_blocker) -> dict:
    # Inside module_world's transaction: rolled back with it after the module.
    with django_db_blocker.unblock():
        ids = matrix_ids(module_world)
        invitation = Invitation.objects.get(pk=ids["invitation"])
        return {
            **ids,
            "invitation_token": invitation_token(invitation),
            **sso_lti_ids(module_world),
        }


def _client(sessions: dict[str, str], case: Case) -> Client:
    client = Client(enforce_csrf_checks=True)
    if case.as_user != "anonymous":
        # Signed in once for the module (tests/conftest.py `module_sessions`).
        client.cookies[settings.SESSION_COOKIE_NAME] = sessions[case.as_user]
    return client


def _signed_in_as_the_case_says(response, case: Case) -> bool:
    """The module's session cookie really signed the persona in: an anonymous request would be
    sent to sign in, which neither walk can tell from a success by its status. (Signing out
    ends the session the request came with.)"""
    if case.as_user == "anonymous" or case.url == "/accounts/logout/":
        return True
    return response.wsgi_request.user.is_authenticated


def _is_csrf_refusal(response) -> bool:
    # templates/403_csrf.html, the page Django's CSRF failure view renders.
    return response.status_code == 403 and b"That form had expired" in response.content


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.url)
def test_it_refuses_a_post_without_the_token(module_sessions, ids, case, htmx, db):
    headers = {"HX-Request": "true"} if htmx else {}
    response = _client(module_sessions, case).post(case.url.format(**ids), headers=headers)
    assert _is_csrf_refusal(response)
    assert _signed_in_as_the_case_says(response, case)


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.url)
def test_it_accepts_a_post_with_the_token(module_sessions, ids, case, htmx, db):
    client = _client(module_sessions, case)
    # What a page gives the browser: the secret in the cookie; the form or hx-headers send it back.
    secret = get_random_string(32)
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    headers = {"X-CSRFToken": secret, **({"HX-Request": "true"} if htmx else {})}
    response = client.post(case.url.format(**ids), headers=headers)
    assert response.status_code != 403, response.content[:300]
    assert _signed_in_as_the_case_says(response, case)
