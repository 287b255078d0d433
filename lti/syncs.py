"""Roster sync and grade passback, worked as due rows of the one delivery engine."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db.models import Count, Max, Q
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.grade import Grade
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector

from accounts.models import Membership, Role, User
from cohorts.models import Cohort, CohortRole, Enrolment
from lti.launches import AGS_SCORE_SCOPE, NO_EMAIL_DOMAIN, lti_role
from lti.models import (
    LtiContext,
    LtiGradeSync,
    LtiPlatform,
    LtiResourceLink,
    LtiRosterEntry,
    LtiRosterSync,
    LtiScore,
    LtiUser,
    RosterStatus,
)
from lti.tool import PlatformRegistration
from notifications import scheduling
from notifications.scheduling import DueStatus
from socialtraining import clock
from sparks.models import Delivery, DeliveryOutcome
from sso.services import email_domain
from surveys.models import Response as SurveyResponse
from surveys.models import ResponseStatus


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
    verified = set(organization.sso_domains.verified().values_list("domain", flat=True))
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
