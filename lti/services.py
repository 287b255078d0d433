"""Writes of the LTI tool: registrations, launches, roster sync and grade passback."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.grade import Grade
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector

from accounts.models import Membership, Organization, Role, User
from accounts.services import membership_ensure
from cohorts.models import Cohort, CohortRole, Enrolment
from lti.models import (
    LtiContext,
    LtiDeepLinkRequest,
    LtiGradeSync,
    LtiNonce,
    LtiPlatform,
    LtiResourceLink,
    LtiRosterEntry,
    LtiRosterSync,
    LtiScore,
    LtiUser,
    RosterStatus,
    Target,
)
from lti.tool import PlatformRegistration, tool_key_pair
from notifications import scheduling
from notifications.scheduling import DueStatus
from socialtraining import clock
from sparks.models import Delivery, DeliveryOutcome
from sso.services import email_domain
from surveys.models import Response as SurveyResponse
from surveys.models import ResponseStatus, Round

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


# --- Registrations ---


@transaction.atomic
def lti_platform_save(
    *, organization: Organization, platform: LtiPlatform | None = None, **fields
) -> LtiPlatform:
    """Register an LMS (a tool key is generated for it) or change its registration."""
    if platform is None:
        private_key, kid = tool_key_pair()
        platform = LtiPlatform(
            organization=organization, tool_private_key_encrypted=private_key, tool_key_id=kid
        )
    for name, value in fields.items():
        setattr(platform, name, value)
    try:
        with transaction.atomic():
            platform.save()
    except IntegrityError:
        raise LtiError("This issuer and client ID are registered already.") from None
    return platform


# --- Launches ---


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
    return organization.sso_domains.filter(
        domain__iexact=email_domain(email), verified_at__isnull=False
    ).exists()


def lti_user_resolve(
    *, platform: LtiPlatform, sub: str, email: str, name: str, signed_in: User | None
) -> User:
    """The account of the platform's person `sub`: linked before, linked now, or created.

    An existing account is linked only when the organisation verified its address's domain or
    that person is signed in here: otherwise an LMS could name anyone's address and sign in as
    them.
    """
    link = LtiUser.objects.select_related("user").filter(platform=platform, sub=sub).first()
    if link:
        return link.user
    email = (email or "").strip().lower()
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
    user = lti_user_resolve(
        platform=platform,
        sub=str(data["sub"]),
        email=data.get("email", ""),
        name=data.get("name", ""),
        signed_in=signed_in,
    )
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


# --- Deep linking ---


@transaction.atomic
def lti_deep_link_request_create(
    *, platform: LtiPlatform, data: dict, signed_in: User | None
) -> LtiDeepLinkRequest:
    """A validated deep-linking launch by an LMS instructor, kept until they choose (call
    `lti_nonce_use` first)."""
    if lti_role(data.get(LTI + "roles") or []) != CohortRole.INSTRUCTOR:
        raise LtiError("Only the course's instructors add content from Social training.")
    user = lti_user_resolve(
        platform=platform,
        sub=str(data["sub"]),
        email=data.get("email", ""),
        name=data.get("name", ""),
        signed_in=signed_in,
    )
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


# --- Background jobs (due rows) ---


def _connector(platform: LtiPlatform) -> ServiceConnector:
    return ServiceConnector(PlatformRegistration(platform))


def _roster_people(*, platform: LtiPlatform, members: list[dict]) -> dict[str, tuple[int, str]]:
    """The accounts of the roster's people by `sub`: (user id, cohort role), in a fixed number of
    queries. Like a launch, an existing account is linked only if its domain is verified; others
    wait for that person's own launch."""
    organization = platform.organization
    linked = dict(
        LtiUser.objects.filter(
            platform=platform, sub__in=[str(m["user_id"]) for m in members]
        ).values_list("sub", "user_id")
    )
    new = [m for m in members if str(m["user_id"]) not in linked]
    emails = {(m.get("email") or "").strip().lower() for m in new} - {""}
    by_email = dict(
        User.objects.filter(email__in=emails).values_list("email", "pk") if emails else []
    )
    verified = set(
        organization.sso_domains.filter(verified_at__isnull=False).values_list("domain", flat=True)
    )
    links, accounts = [], []
    for member in new:
        sub, email = str(member["user_id"]), (member.get("email") or "").strip().lower()
        if email and email in by_email:
            # None: an account this sync creates for another roster entry with the address.
            if by_email[email] is not None and email_domain(email) in verified:
                links.append(LtiUser(platform=platform, sub=sub, user_id=by_email[email]))
            continue
        if not email:
            digest = hashlib.sha256(f"{platform.pk}:{sub}".encode()).hexdigest()[:24]
            email = f"lti-{platform.pk}-{digest}@{NO_EMAIL_DOMAIN}"
        by_email[email] = None
        accounts.append(
            (
                sub,
                User(
                    email=email,
                    display_name=(member.get("name") or "")[:150],
                    password=make_password(None),
                ),
            )
        )
    User.objects.bulk_create([user for _, user in accounts])
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user=user, email=user.email, verified=True, primary=True)
            for _, user in accounts
            if email_domain(user.email) in verified
        ]
    )
    links += [LtiUser(platform=platform, sub=sub, user=user) for sub, user in accounts]
    LtiUser.objects.bulk_create(links)
    linked.update({link.sub: link.user_id for link in links})
    return {
        str(m["user_id"]): (linked[str(m["user_id"])], lti_role(m.get("roles") or []))
        for m in members
        if str(m["user_id"]) in linked
    }


def _roster_enrol(*, cohort: Cohort, people: dict[str, tuple[int, str]]) -> None:
    """Members and enrolments for everyone at once; LMS instructors enrolled as participants are
    promoted, nobody is demoted."""
    roles = dict(people.values())
    teaching = [pk for pk, role in roles.items() if role == CohortRole.INSTRUCTOR]
    members = set(
        Membership.objects.filter(organization=cohort.organization, user_id__in=roles).values_list(
            "user_id", flat=True
        )
    )
    Membership.objects.bulk_create(
        [
            Membership(
                organization=cohort.organization,
                user_id=pk,
                role=Role.INSTRUCTOR if role == CohortRole.INSTRUCTOR else Role.PARTICIPANT,
            )
            for pk, role in roles.items()
            if pk not in members
        ]
    )
    Membership.objects.filter(
        organization=cohort.organization, user_id__in=teaching, role=Role.PARTICIPANT
    ).update(role=Role.INSTRUCTOR)
    enrolled = set(
        Enrolment.objects.filter(cohort=cohort, user_id__in=roles).values_list("user_id", flat=True)
    )
    Enrolment.objects.bulk_create(
        [
            Enrolment(cohort=cohort, user_id=pk, role=role)
            for pk, role in roles.items()
            if pk not in enrolled
        ]
    )
    Enrolment.objects.filter(
        cohort=cohort, user_id__in=teaching, role=CohortRole.PARTICIPANT
    ).update(role=CohortRole.INSTRUCTOR, study_group=None)


def lti_roster_sync(row: LtiRosterSync) -> datetime:
    """Bring the cohort in line with the course roster: add new people, mark the departed.

    Nobody is deleted or unenrolled: a removal is marked on the roster entry, for the instructor
    to act on, because an LMS roster can be wrong for a day and what people wrote stays theirs.
    A fixed number of queries, whatever the roster's size.
    """
    context = LtiContext.objects.select_related(
        "platform__organization", "cohort__organization"
    ).get(pk=row.context_id)
    next_due = clock.now() + timedelta(hours=settings.LTI_ROSTER_SYNC_HOURS)
    if context.cohort is None or not context.memberships_url:
        return next_due
    nrps = NamesRolesProvisioningService(
        _connector(context.platform), {"context_memberships_url": context.memberships_url}
    )
    members = [
        member
        for member in nrps.get_members()
        if member.get("status", "Active") == "Active" and member.get("user_id")
    ]
    people = _roster_people(platform=context.platform, members=members)
    _roster_enrol(cohort=context.cohort, people=people)
    before = set(
        LtiRosterEntry.objects.filter(context=context, status=RosterStatus.ACTIVE).values_list(
            "user_id", flat=True
        )
    )
    now = clock.now()
    LtiRosterEntry.objects.bulk_create(
        [
            LtiRosterEntry(
                context=context,
                user_id=pk,
                role=role,
                status=RosterStatus.ACTIVE,
                removed_at=None,
                seen_at=now,
            )
            for pk, role in people.values()
        ],
        update_conflicts=True,
        unique_fields=["context", "user"],
        update_fields=["role", "status", "removed_at", "seen_at"],
    )
    present = {pk for pk, _ in people.values()}
    departed = before - present
    LtiRosterEntry.objects.filter(context=context, user_id__in=departed).update(
        status=RosterStatus.REMOVED, removed_at=now
    )
    row.last_synced_at = now
    row.last_added = len(present - before)
    row.last_removed = len(departed)
    row.save(update_fields=["last_synced_at", "last_added", "last_removed"])
    return next_due


def _link_scores(link: LtiResourceLink, user_ids) -> dict[int, tuple[int, int, datetime]]:
    """Each person's (score, maximum, moment) for the link, from one grouped query.

    A placed round: the knowledge score of the submitted response. The cohort or the sparks inbox:
    participation, as sparks answered of those answered or missed.
    """
    if link.round_id:
        responses = SurveyResponse.objects.filter(
            round_id=link.round_id,
            status=ResponseStatus.SUBMITTED,
            score__isnull=False,
            max_score__gt=0,
            participant_id__in=user_ids,
        ).values_list("participant_id", "score", "max_score", "submitted_at")
        return {pk: (score, maximum, moment) for pk, score, maximum, moment in responses}
    asks = (
        Delivery.objects.filter(
            spark__cohort_id=link.cohort_id,
            participant_id__in=user_ids,
            outcome__in=[DeliveryOutcome.ANSWERED, DeliveryOutcome.MISSED],
        )
        .values("participant_id")
        .annotate(
            answered=Count("pk", filter=Q(outcome=DeliveryOutcome.ANSWERED)),
            closed=Count("pk"),
            latest=Max("closed_at"),
        )
    )
    now = clock.now()
    return {
        ask["participant_id"]: (ask["answered"], ask["closed"], ask["latest"] or now)
        for ask in asks
    }


def lti_grades_sync(row: LtiGradeSync) -> datetime:
    """Send each person's score for the link to its gradebook column, once per change."""
    link = LtiResourceLink.objects.select_related("context__platform").get(pk=row.link_id)
    platform = link.context.platform
    next_due = clock.now() + timedelta(minutes=settings.LTI_GRADE_SYNC_MINUTES)
    if not link.lineitem_url:
        return next_due
    subs = dict(
        LtiUser.objects.filter(
            platform=platform, user__enrolments__cohort_id=link.cohort_id
        ).values_list("user_id", "sub")
    )
    sent = {
        score.user_id: (score.score_given, score.score_maximum)
        for score in LtiScore.objects.filter(link=link)
    }
    ags = AssignmentsGradesService(
        _connector(platform), {"scope": [AGS_SCORE_SCOPE], "lineitem": link.lineitem_url}
    )
    count = 0
    for user_id, (given, maximum, moment) in _link_scores(link, subs.keys()).items():
        if sent.get(user_id) == (given, maximum):
            continue
        grade = (
            Grade()
            .set_score_given(given)
            .set_score_maximum(maximum)
            .set_timestamp(moment.isoformat())
            .set_activity_progress("Completed" if link.round_id else "InProgress")
            .set_grading_progress("FullyGraded")
            .set_user_id(subs[user_id])
        )
        ags.put_grade(grade)
        LtiScore.objects.update_or_create(
            link=link,
            user_id=user_id,
            defaults={"score_given": given, "score_maximum": maximum, "sent_at": clock.now()},
        )
        count += 1
    row.last_synced_at = clock.now()
    row.last_sent = count
    row.save(update_fields=["last_synced_at", "last_sent"])
    return next_due


def lti_roster_sync_now(*, context: LtiContext) -> LtiRosterSync:
    """Sync at the next dispatch instead of waiting for the daily run."""
    row, _ = LtiRosterSync.objects.get_or_create(context=context)
    if row.status in (DueStatus.PENDING, DueStatus.DONE, DueStatus.FAILED):
        row.status, row.due_at, row.attempts = DueStatus.PENDING, clock.now(), 0
        row.save(update_fields=["status", "due_at", "attempts"])
    scheduling.kick("lti_roster_sync")
    return row
