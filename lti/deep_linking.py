"""Deep linking: the validated request kept for the instructor's choice, and the signed response."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource

from accounts.models import User
from cohorts.models import Cohort, CohortRole
from lti.launches import DL_CLAIM, LTI, LtiError, lti_context_record, lti_role, lti_user_resolve
from lti.models import LtiDeepLinkRequest, LtiPlatform, LtiRosterSync, Target
from lti.tool import PlatformRegistration
from socialtraining import clock
from surveys.models import Round


@transaction.atomic
def lti_deep_link_request_create(
    *, platform: LtiPlatform, data: dict, signed_in: User | None
) -> LtiDeepLinkRequest:
    """A validated deep-linking launch by an LMS instructor, kept until they choose (call
    `lti_nonce_use` first)."""
    if lti_role(data.get(LTI + "roles") or []) != CohortRole.INSTRUCTOR:
        raise LtiError("Only the course's instructors add content from Social training.")
    user = lti_user_resolve(platform=platform, data=data, signed_in=signed_in)
    context = lti_context_record(platform=platform, data=data, cohort=None)
    return LtiDeepLinkRequest.objects.create(
        token=secrets.token_urlsafe(32),
        platform=platform,
        user=user,
        deployment_id=data.get(LTI + "deployment_id", ""),
        context=context,
        settings=data.get(DL_CLAIM) or {},
    )


def lti_deep_link_request_open(token: str) -> LtiDeepLinkRequest | None:
    oldest = clock.now() - timedelta(seconds=settings.LTI_LAUNCH_MAX_AGE)
    return (
        LtiDeepLinkRequest.objects.select_related("platform__organization", "user", "context")
        .filter(token=token, used_at__isnull=True, created_at__gte=oldest)
        .first()
    )


@transaction.atomic
def lti_deep_link_respond(
    *,
    request_row: LtiDeepLinkRequest,
    cohort: Cohort,
    target: str,
    round_: Round | None,
    launch_url: str,
) -> tuple[str, str]:
    """The signed deep-linking response for the choice: (JWT, the platform's return URL)."""
    locked = LtiDeepLinkRequest.objects.select_for_update().get(pk=request_row.pk)
    if locked.used_at:
        raise LtiError("This choice was sent already: add content again from your course.")
    locked.used_at = clock.now()
    locked.save(update_fields=["used_at"])
    if request_row.context and request_row.context.cohort_id is None:
        request_row.context.cohort = cohort
        request_row.context.save(update_fields=["cohort"])
        if request_row.context.memberships_url:
            LtiRosterSync.objects.get_or_create(
                context=request_row.context, defaults={"due_at": clock.now()}
            )
    custom = {"cohort": str(cohort.pk), "target": target}
    title = cohort.name
    if target == Target.ROUND and round_ is not None:
        custom["round"] = str(round_.pk)
        title = f"{cohort.name}: {round_.label}"
    elif target == Target.SPARKS:
        title = f"{cohort.name}: sparks"
    resource = (
        DeepLinkResource().set_url(launch_url).set_title(title[:255]).set_custom_params(custom)
    )
    deep_link = DeepLink(
        PlatformRegistration(request_row.platform),
        request_row.deployment_id,
        request_row.settings,
    )
    return deep_link.get_response_jwt([resource]), request_row.settings["deep_link_return_url"]
