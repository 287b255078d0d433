"""Launches: the course recorded, the person resolved and enrolled with their LMS role, the link
kept for grade passback."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction

from accounts.models import Organization, Role, User
from accounts.services import membership_ensure
from cohorts.models import Cohort, CohortRole, Enrolment
from lti.models import (
    LtiContext,
    LtiGradeSync,
    LtiNonce,
    LtiPlatform,
    LtiResourceLink,
    LtiRosterEntry,
    LtiRosterSync,
    LtiUser,
    RosterStatus,
    Target,
)
from socialtraining import clock
from sso.services import email_domain
from surveys.models import Round

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
AGS_SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
# LIS roles that run a course here; every other role (Learner, Mentor...) takes part.
TEACHING_ROLES = ("#Instructor", "#Administrator", "#ContentDeveloper", "Instructor#")
NO_EMAIL_DOMAIN = "lti.invalid"


class LtiError(Exception):
    """Why a launch or a sync cannot go on, in words a person understands."""

    def __init__(self, message: str, *, sign_in: bool = False):
        super().__init__(message)
        self.message = message
        self.sign_in = sign_in


def lti_role(roles: list[str]) -> str:
    if any(marker in role for role in roles or [] for marker in TEACHING_ROLES):
        return CohortRole.INSTRUCTOR
    return CohortRole.PARTICIPANT


def lti_nonce_use(*, platform: LtiPlatform, nonce: str) -> None:
    """Refuse a launch whose nonce was seen: the same signed launch cannot sign anyone in twice.

    Its own transaction: a launch refused later (an account to sign in to first) is used up too.
    """
    try:
        with transaction.atomic():
            LtiNonce.objects.create(platform=platform, nonce=nonce)
    except IntegrityError:
        raise LtiError("This launch was used already: launch again from your course.") from None


def _domain_verified_by(organization: Organization, email: str) -> bool:
    return organization.sso_domains.verified(email_domain(email)).exists()


def lti_user_resolve(*, platform: LtiPlatform, data: dict, signed_in: User | None) -> User:
    """The account of the launch's person (its `sub` claim): linked before, linked now, or
    created.

    An existing account is linked only when the organisation verified its address's domain or
    that person is signed in here: otherwise an LMS could name anyone's address and sign in as
    them.
    """
    sub, name = str(data["sub"]), data.get("name", "")
    link = LtiUser.objects.select_related("user").filter(platform=platform, sub=sub).first()
    if link:
        return link.user
    email = (data.get("email", "") or "").strip().lower()
    organization = platform.organization
    if email:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create(
                email=email, display_name=name[:150], password=make_password(None)
            )
            if _domain_verified_by(organization, email):
                EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        elif not (
            (signed_in is not None and signed_in.pk == user.pk)
            or _domain_verified_by(organization, email)
        ):
            raise LtiError(
                f"An account for {email} exists here already. Sign in to it once in this "
                "browser, then open the link in your course again: the two are then linked.",
                sign_in=True,
            )
    else:
        # The LMS keeps the address private: an account known only through this platform.
        digest = hashlib.sha256(f"{platform.pk}:{sub}".encode()).hexdigest()[:24]
        user = User.objects.create(
            email=f"lti-{platform.pk}-{digest}@{NO_EMAIL_DOMAIN}",
            display_name=name[:150],
            password=make_password(None),
        )
    LtiUser.objects.create(platform=platform, sub=sub, user=user)
    return user


def lti_enrol(*, cohort: Cohort, user: User, role: str) -> Enrolment:
    """Enrol with the LMS's role; an LMS instructor enrolled as participant becomes instructor."""
    membership_ensure(
        organization=cohort.organization,
        user=user,
        role=Role.INSTRUCTOR if role == CohortRole.INSTRUCTOR else Role.PARTICIPANT,
    )
    enrolment, created = Enrolment.objects.get_or_create(
        cohort=cohort, user=user, defaults={"role": role}
    )
    if not created and role == CohortRole.INSTRUCTOR and enrolment.role != role:
        enrolment.role, enrolment.study_group = role, None
        enrolment.save(update_fields=["role", "study_group"])
    return enrolment


def _roster_mark_active(*, context: LtiContext, user: User, role: str) -> None:
    LtiRosterEntry.objects.update_or_create(
        context=context,
        user=user,
        defaults={
            "role": role,
            "status": RosterStatus.ACTIVE,
            "removed_at": None,
            "seen_at": clock.now(),
        },
    )


def _cohort_of(platform: LtiPlatform, custom: dict) -> Cohort | None:
    cohort_id = str(custom.get("cohort", ""))
    if not cohort_id.isdigit():
        return None
    cohort = Cohort.objects.select_related("organization").filter(pk=int(cohort_id)).first()
    # A link can only open cohorts of the organisation that registered the platform.
    if cohort is None or cohort.organization_id != platform.organization_id:
        raise LtiError("This link points to a cohort this course cannot open.")
    return cohort


def lti_context_record(*, platform: LtiPlatform, data: dict, cohort: Cohort | None) -> LtiContext:
    """The launch's course, linked to `cohort` if not linked yet; its roster sync scheduled."""
    claim = data.get(LTI + "context") or {}
    context_id = str(claim.get("id") or f"deployment:{data.get(LTI + 'deployment_id')}")
    context, _ = LtiContext.objects.get_or_create(platform=platform, context_id=context_id)
    changed = []
    if claim.get("title") and context.title != claim["title"]:
        context.title = claim["title"][:255]
        changed.append("title")
    if cohort is not None and context.cohort_id is None:
        context.cohort = cohort
        changed.append("cohort")
    deployment_id = data.get(LTI + "deployment_id", "")
    if deployment_id and context.deployment_id != deployment_id:
        context.deployment_id = deployment_id
        changed.append("deployment_id")
    memberships_url = (data.get(NRPS_CLAIM) or {}).get("context_memberships_url", "")
    if memberships_url and context.memberships_url != memberships_url:
        context.memberships_url = memberships_url
        changed.append("memberships_url")
    if changed:
        context.save(update_fields=changed)
    if context.memberships_url and context.cohort_id:
        # The first launch of a linked course syncs its roster at the next dispatch.
        LtiRosterSync.objects.get_or_create(context=context, defaults={"due_at": clock.now()})
    return context


@dataclass(frozen=True)
class Launch:
    user: User
    cohort: Cohort
    link: LtiResourceLink


@transaction.atomic
def lti_launch(*, platform: LtiPlatform, data: dict, signed_in: User | None) -> Launch:
    """A validated resource launch: the person, enrolled with the LMS's role, and where to go.

    Call `lti_nonce_use` first, outside this transaction, so a refused launch stays used too.
    """
    custom = data.get(LTI + "custom") or {}
    cohort = _cohort_of(platform, custom)
    context = lti_context_record(platform=platform, data=data, cohort=cohort)
    cohort = cohort or context.cohort
    if cohort is None:
        raise LtiError(
            "This course is not linked to a cohort yet. An instructor adds the cohort to the "
            "course with “Add content” (deep linking)."
        )
    user = lti_user_resolve(platform=platform, data=data, signed_in=signed_in)
    role = lti_role(data.get(LTI + "roles") or [])
    lti_enrol(cohort=cohort, user=user, role=role)
    _roster_mark_active(context=context, user=user, role=role)
    link = _link_record(context=context, data=data, cohort=cohort, custom=custom)
    return Launch(user=user, cohort=cohort, link=link)


def _link_record(
    *, context: LtiContext, data: dict, cohort: Cohort, custom: dict
) -> LtiResourceLink:
    claim = data.get(LTI + "resource_link") or {}
    target = custom.get("target") if custom.get("target") in Target.values else Target.COHORT
    round_ = None
    if target == Target.ROUND:
        round_id = str(custom.get("round", ""))
        round_ = (
            Round.objects.filter(cohort=cohort, pk=int(round_id)).first()
            if round_id.isdigit()
            else None
        )
        if round_ is None:
            raise LtiError("This link points to a survey round that no longer exists.")
    ags = data.get(AGS_CLAIM) or {}
    link, _ = LtiResourceLink.objects.update_or_create(
        context=context,
        resource_link_id=str(claim.get("id", "")),
        defaults={
            "title": (claim.get("title") or "")[:255],
            "target": target,
            "cohort": cohort,
            "round": round_,
            "lineitem_url": ags.get("lineitem", "")
            if AGS_SCORE_SCOPE in (ags.get("scope") or [])
            else "",
        },
    )
    if link.lineitem_url:
        LtiGradeSync.objects.get_or_create(link=link, defaults={"due_at": clock.now()})
    return link
