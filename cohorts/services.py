"""Writes in the cohorts app: cohorts and sessions, enrolment, roster imports, study groups."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse

from accounts.models import Invitation, Membership, Organization, Role, User
from accounts.services import (
    invitation_create,
    invitation_resend,
    invitations_send,
    membership_ensure,
    user_for_email,
)
from cohorts import hooks
from cohorts.models import Cohort, CohortRole, Enrolment, RosterImport, StudyGroup, WorkshopSession
from cohorts.roster import ParsedRoster
from notifications.services import notify
from socialtraining import clock

ROSTER_CHUNK_SIZE = 500
# A background import that lost its task this many times fails instead of starting again.
ROSTER_MAX_RUNS = 3


# Cohorts, sessions, instructors


@transaction.atomic
def cohort_create(
    *,
    organization: Organization,
    created_by: User,
    name: str,
    description: str,
    time_zone: str,
    sessions: list[dict],
    instructors: Iterable[User],
) -> Cohort:
    cohort = Cohort.objects.create(
        organization=organization,
        created_by=created_by,
        name=name,
        description=description,
        time_zone=time_zone,
    )
    cohort_sessions_set(cohort=cohort, sessions=sessions)
    cohort_instructors_set(cohort=cohort, instructors=instructors)
    return cohort


@transaction.atomic
def cohort_update(
    *,
    cohort: Cohort,
    name: str,
    description: str,
    time_zone: str,
    sessions: list[dict],
    instructors: Iterable[User],
) -> Cohort:
    previous_time_zone = cohort.time_zone
    cohort.name, cohort.description, cohort.time_zone = name, description, time_zone
    cohort.save(update_fields=["name", "description", "time_zone"])
    cohort_sessions_set(cohort=cohort, sessions=sessions)
    cohort_instructors_set(cohort=cohort, instructors=instructors)
    # Rows due relative to the sessions (prompts, later surveys and sparks) move with them.
    hooks.schedule_changed(cohort=cohort, previous_time_zone=previous_time_zone)
    return cohort


def cohort_sessions_set(*, cohort: Cohort, sessions: list[dict]) -> None:
    """Make the cohort's sessions exactly `sessions` (dicts with an `id` for existing ones)."""
    existing = set(cohort.sessions.values_list("pk", flat=True))
    kept = [s["id"] for s in sessions if s.get("id") in existing]
    cohort.sessions.exclude(pk__in=kept).delete()
    fields = ("title", "starts_at", "ends_at", "location")
    for data in sessions:
        values = {f: data.get(f) or "" for f in fields}
        if data.get("id") in existing:
            cohort.sessions.filter(pk=data["id"]).update(**values)
        else:
            WorkshopSession.objects.create(cohort=cohort, **values)


def cohort_instructors_set(*, cohort: Cohort, instructors: Iterable[User]) -> None:
    """Enrol `instructors` as instructors (raising their organisation role); un-enrol the rest."""
    wanted = {user.pk: user for user in instructors}
    cohort.enrolments.filter(role=CohortRole.INSTRUCTOR).exclude(user_id__in=wanted).delete()
    for user in wanted.values():
        membership_ensure(organization=cohort.organization, user=user, role=Role.INSTRUCTOR)
        Enrolment.objects.update_or_create(
            cohort=cohort,
            user=user,
            defaults={"role": CohortRole.INSTRUCTOR, "study_group": None},
        )


# Enrolment


@transaction.atomic
def enrolment_create(
    *, cohort: Cohort, email: str, display_name: str, invited_by: User
) -> tuple[Enrolment, bool]:
    """Enrol one person as a participant, inviting them if they cannot sign in yet.

    Someone already enrolled keeps their enrolment as it is.
    """
    user, _ = user_for_email(email=email, display_name=display_name)
    existing = Enrolment.objects.filter(cohort=cohort, user=user).first()
    if existing:
        return existing, False
    membership_ensure(organization=cohort.organization, user=user, role=Role.PARTICIPANT)
    enrolment = Enrolment.objects.create(cohort=cohort, user=user, role=CohortRole.PARTICIPANT)
    if not user.has_usable_password():
        invitation_create(
            organization=cohort.organization,
            email=user.email,
            invited_by=invited_by,
            display_name=display_name or user.display_name,
        )
    else:
        enrolment_announce(cohort=cohort, user=user, enrolled_by=invited_by)
    return enrolment, True


def enrolment_announce(*, cohort: Cohort, user: User, enrolled_by: User) -> None:
    """Tell someone who can already sign in that they were enrolled: nobody is added silently."""
    notify(
        user=user,
        key=f"enrolled:{cohort.pk}",
        title=f"You were enrolled in {cohort.name}",
        body=f"{enrolled_by.name} added you to {cohort.name} ({cohort.organization.name}).",
        url=reverse("cohorts:detail", args=[cohort.pk]),
        email_template="notification",
    )


def enrolment_remove(*, enrolment: Enrolment) -> None:
    enrolment.delete()


def enrolment_move(*, enrolment: Enrolment, study_group: StudyGroup | None) -> Enrolment:
    """Put a participant in `study_group` (of the same cohort), or in none."""
    if enrolment.role != CohortRole.PARTICIPANT:
        raise ValueError("Only participants belong to study groups.")
    if study_group is not None and study_group.cohort_id != enrolment.cohort_id:
        raise ValueError("That study group belongs to another cohort.")
    enrolment.study_group = study_group
    enrolment.save(update_fields=["study_group"])
    return enrolment


# Study groups


def study_group_create(*, cohort: Cohort, name: str) -> StudyGroup:
    return StudyGroup.objects.create(cohort=cohort, name=name)


def study_group_rename(*, study_group: StudyGroup, name: str) -> StudyGroup:
    study_group.name = name
    study_group.save(update_fields=["name"])
    return study_group


def _next_group_numbers(existing_names: Iterable[str], count: int) -> list[int]:
    numbers = [int(m[1]) for n in existing_names if (m := re.fullmatch(r"Group (\d+)", n))]
    start = max(numbers, default=0) + 1
    return list(range(start, start + count))


@transaction.atomic
def study_groups_split(*, cohort: Cohort, size: int) -> list[StudyGroup]:
    """Split every participant without a group into new groups of at most `size`.

    Group sizes differ by at most one. The shuffle is seeded from the cohort and `size`, so the
    same split asked twice of the same people gives the same groups.
    """
    unassigned = list(
        cohort.enrolments.filter(role=CohortRole.PARTICIPANT, study_group__isnull=True)
        .order_by("pk")
        .select_for_update()
    )
    if not unassigned:
        return []
    random.Random(f"{cohort.pk}:{size}").shuffle(unassigned)
    count = -(-len(unassigned) // size)
    names = [
        f"Group {n}"
        for n in _next_group_numbers(cohort.study_groups.values_list("name", flat=True), count)
    ]
    StudyGroup.objects.bulk_create([StudyGroup(cohort=cohort, name=name) for name in names])
    by_name = {g.name: g for g in cohort.study_groups.filter(name__in=names)}
    groups = [by_name[name] for name in names]
    # Dealing round-robin keeps every group within one person of the others.
    for index, enrolment in enumerate(unassigned):
        enrolment.study_group = groups[index % count]
    Enrolment.objects.bulk_update(unassigned, ["study_group"], batch_size=500)
    return groups


# Roster imports


def roster_import_create(
    *, cohort: Cohort, uploaded_by: User, filename: str, parsed: ParsedRoster
) -> RosterImport:
    return RosterImport.objects.create(
        cohort=cohort,
        uploaded_by=uploaded_by,
        filename=filename[:255],
        rows=parsed.rows,
        errors=parsed.errors,
        total_rows=parsed.total_rows,
        importable_count=len(parsed.rows),
        error_count=len(parsed.errors),
    )


def roster_import_confirm(*, roster_import: RosterImport, user: User) -> RosterImport:
    """Import now if the file is small; otherwise queue it for a worker after this commits."""
    from cohorts.tasks import roster_import_run_task

    if roster_import.status != RosterImport.Status.PREVIEW:
        return roster_import
    if len(roster_import.rows) <= settings.ROSTER_INLINE_MAX_ROWS:
        return roster_import_run(roster_import=roster_import, invited_by=user)
    updated = RosterImport.objects.filter(
        pk=roster_import.pk, status=RosterImport.Status.PREVIEW
    ).update(status=RosterImport.Status.QUEUED, requested_by=user, heartbeat_at=clock.now())
    if updated:
        roster_import.status = RosterImport.Status.QUEUED
        # robust: with the broker down the import stays queued and the sweep starts it.
        transaction.on_commit(
            lambda: roster_import_run_task.delay(roster_import.pk, user.pk), robust=True
        )
    return roster_import


def roster_lease() -> timedelta:
    return timedelta(seconds=settings.DUE_LEASE_SECONDS)


def roster_imports_resume() -> list[int]:
    """Start again every background import whose task was lost; return their ids.

    An import queued or running without a heartbeat for longer than the lease lost its task (the
    broker was flushed, the worker killed). It resumes from its last committed chunk, as the
    person who confirmed it; one that keeps dying fails after ROSTER_MAX_RUNS runs.
    """
    now = clock.now()
    stale = RosterImport.objects.filter(
        status__in=[RosterImport.Status.QUEUED, RosterImport.Status.RUNNING],
        heartbeat_at__lt=now - roster_lease(),
    )
    RosterImport.objects.filter(pk__in=stale.values("pk"), runs__gte=ROSTER_MAX_RUNS).update(
        status=RosterImport.Status.FAILED,
        failure="The import stopped several times without finishing. Please upload it again.",
        finished_at=now,
    )
    resumed = list(
        stale.filter(runs__lt=ROSTER_MAX_RUNS, requested_by__isnull=False).values_list(
            "pk", "requested_by_id"
        )
    )
    from cohorts.tasks import roster_import_run_task

    for roster_import_id, user_id in resumed:
        transaction.on_commit(
            lambda i=roster_import_id, u=user_id: roster_import_run_task.delay(i, u), robust=True
        )
    return [pk for pk, _ in resumed]


def roster_import_run(*, roster_import: RosterImport, invited_by: User) -> RosterImport:
    """Import the confirmed rows in chunks, from the last committed one.

    Each chunk commits with its counters, so a run that died resumes exactly where it stopped;
    importing rows again would change nothing anyway. Only one run holds an import at a time: a
    running import is taken over only once its heartbeat is older than the lease.
    """
    now = clock.now()
    claimed = (
        RosterImport.objects.filter(pk=roster_import.pk)
        .filter(
            Q(status__in=[RosterImport.Status.PREVIEW, RosterImport.Status.QUEUED])
            | Q(status=RosterImport.Status.RUNNING, heartbeat_at__lt=now - roster_lease())
        )
        .update(status=RosterImport.Status.RUNNING, heartbeat_at=now, runs=F("runs") + 1)
    )
    roster_import.refresh_from_db()
    if not claimed:
        return roster_import
    cohort = roster_import.cohort
    group_ids = dict(cohort.study_groups.values_list("name", "pk"))
    rows = roster_import.rows
    try:
        for start in range(roster_import.processed_rows, len(rows), ROSTER_CHUNK_SIZE):
            chunk = rows[start : start + ROSTER_CHUNK_SIZE]
            with transaction.atomic():
                counts = _roster_import_chunk(
                    roster_import=roster_import,
                    rows=chunk,
                    group_ids=group_ids,
                    invited_by=invited_by,
                )
                RosterImport.objects.filter(pk=roster_import.pk).update(
                    heartbeat_at=clock.now(),
                    processed_rows=F("processed_rows") + len(chunk),
                    created_count=F("created_count") + counts["created"],
                    enrolled_count=F("enrolled_count") + counts["enrolled"],
                    unchanged_count=F("unchanged_count") + counts["unchanged"],
                )
    except Exception as exc:
        RosterImport.objects.filter(pk=roster_import.pk).update(
            status=RosterImport.Status.FAILED, failure=str(exc)[:1000], finished_at=clock.now()
        )
        raise
    RosterImport.objects.filter(pk=roster_import.pk).update(
        status=RosterImport.Status.DONE, finished_at=clock.now()
    )
    roster_import.refresh_from_db()
    return roster_import


def _users_by_email(emails: list[str]) -> dict[str, User]:
    users = User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=emails)
    return {u.email_lower: u for u in users.only("pk", "email", "password", "display_name")}


def _roster_import_chunk(
    *, roster_import: RosterImport, rows: list[dict], group_ids: dict[str, int], invited_by: User
) -> dict[str, int]:
    """One chunk in a constant number of queries; invitation emails follow in a task."""
    cohort = roster_import.cohort
    emails = [r["email"] for r in rows]
    users = _users_by_email(emails)
    new_users = [
        User(email=r["email"], display_name=r["name"], password=make_password(None))
        for r in rows
        if r["email"] not in users
    ]
    if new_users:
        User.objects.bulk_create(new_users, ignore_conflicts=True)
        users = _users_by_email(emails)
    user_ids = [u.pk for u in users.values()]

    members = set(
        Membership.objects.filter(
            organization=cohort.organization, user_id__in=user_ids
        ).values_list("user_id", flat=True)
    )
    Membership.objects.bulk_create(
        [
            Membership(organization=cohort.organization, user_id=uid, role=Role.PARTICIPANT)
            for uid in user_ids
            if uid not in members
        ],
        ignore_conflicts=True,
    )

    enrolments = {e.user_id: e for e in cohort.enrolments.filter(user_id__in=user_ids)}
    to_create, to_regroup = [], []
    for row in rows:
        user = users[row["email"]]
        group_id = group_ids.get(row["group"]) if row["group"] else None
        enrolment = enrolments.get(user.pk)
        if enrolment is None:
            to_create.append(
                Enrolment(
                    cohort=cohort,
                    user=user,
                    role=CohortRole.PARTICIPANT,
                    study_group_id=group_id,
                )
            )
        elif (
            group_id
            and enrolment.role == CohortRole.PARTICIPANT
            and enrolment.study_group_id != group_id
        ):
            enrolment.study_group_id = group_id
            to_regroup.append(enrolment)
    Enrolment.objects.bulk_create(to_create, ignore_conflicts=True)
    Enrolment.objects.bulk_update(to_regroup, ["study_group"])

    to_invite = [e.user for e in to_create if not e.user.has_usable_password()]
    _roster_invite(roster_import=roster_import, users=to_invite, invited_by=invited_by)
    for enrolment in to_create:
        if enrolment.user.has_usable_password():
            enrolment_announce(cohort=cohort, user=enrolment.user, enrolled_by=invited_by)
    return {
        "created": len(new_users),
        "enrolled": len(to_create),
        "unchanged": len(rows) - len(to_create),
    }


def _roster_invite(*, roster_import: RosterImport, users: list[User], invited_by: User) -> None:
    if not users:
        return
    organization = roster_import.cohort.organization
    # Invitations hold addresses in lower case; an older account may not.
    emails = [u.email.lower() for u in users]
    open_emails = set(
        Invitation.objects.unfinished()
        .filter(organization=organization, email__in=emails)
        .values_list("email", flat=True)
    )
    expires_at = Invitation.default_expiry()
    Invitation.objects.bulk_create(
        [
            Invitation(
                organization=organization,
                email=u.email.lower(),
                display_name=u.display_name,
                role=Role.PARTICIPANT,
                invited_by=invited_by,
                expires_at=expires_at,
            )
            for u in users
            if u.email.lower() not in open_emails
        ],
        ignore_conflicts=True,
    )
    invitation_ids = list(
        Invitation.objects.unfinished()
        .filter(organization=organization, email__in=emails)
        .values_list("pk", flat=True)
    )
    # The mails go into the outbox in the chunk's own transaction: they exist exactly when the
    # invitations do, and the outbox sweep sends them even if the broker loses the send tasks.
    roster_invitations_send(roster_import=roster_import, invitation_ids=invitation_ids)


def roster_invitations_send(*, roster_import: RosterImport, invitation_ids: list[int]) -> int:
    """Put the invitation mails of one chunk in the outbox, in the chunk's transaction."""
    invitations = list(
        Invitation.objects.unfinished()
        .filter(organization_id=roster_import.cohort.organization_id, pk__in=invitation_ids)
        .select_related("organization", "invited_by")
    )
    fresh = [i for i in invitations if not i.is_expired]
    for invitation in invitations:
        if invitation.is_expired:
            # An old invitation of this person: a fresh link and expiry rather than a dead link.
            invitation_resend(invitation=invitation)
    invitations_send(invitations=fresh)
    return len(invitations)
