"""Roster imports: a CSV confirmed, then enrolled and invited chunk by chunk as `roster_import`
jobs, each run checking access again as the person who confirmed it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Lower

from accounts.models import Invitation, Membership, Role, User
from accounts.services import invitation_resend, invitations_send
from cohorts import hooks
from cohorts.access import cohort_access
from cohorts.models import Cohort, CohortRole, Enrolment, RosterImport
from cohorts.roster import ParsedRoster
from cohorts.services import enrolments_announce
from notifications.jobs import jobs_schedule
from socialtraining import clock

ROSTER_CHUNK_SIZE = 500


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


ROSTER_IMPORT_JOB = "roster_import"


def roster_import_confirm(*, roster_import: RosterImport, user: User) -> RosterImport:
    """Import now if the file is small; otherwise as a background job, chunk after chunk."""
    if roster_import.status != RosterImport.Status.PREVIEW:
        return roster_import
    if len(roster_import.rows) <= settings.ROSTER_INLINE_MAX_ROWS:
        return roster_import_run(roster_import=roster_import, invited_by=user)
    with transaction.atomic():
        updated = RosterImport.objects.filter(
            pk=roster_import.pk, status=RosterImport.Status.PREVIEW
        ).update(status=RosterImport.Status.QUEUED, requested_by=user)
        if updated:
            roster_import.status = RosterImport.Status.QUEUED
            roster_import.requested_by = user
            jobs_schedule(kind=ROSTER_IMPORT_JOB, target_ids=[roster_import.pk])
    return roster_import


def _roster_import_next_chunk(roster_import: RosterImport, *, invited_by: User) -> bool:
    """Import the chunk after the last committed one, with its counters; True when none is left.

    Called inside a transaction: the chunk and its counters commit together, so an import that
    died resumes exactly where it stopped (and importing rows again would change nothing anyway).
    """
    rows = roster_import.rows
    start = roster_import.processed_rows
    chunk = rows[start : start + ROSTER_CHUNK_SIZE]
    if chunk:
        cohort = roster_import.cohort
        counts = _roster_import_chunk(
            roster_import=roster_import,
            rows=chunk,
            group_ids=dict(cohort.study_groups.values_list("name", "pk")),
            invited_by=invited_by,
        )
        RosterImport.objects.filter(pk=roster_import.pk).update(
            status=RosterImport.Status.RUNNING,
            processed_rows=F("processed_rows") + len(chunk),
            created_count=F("created_count") + counts["created"],
            enrolled_count=F("enrolled_count") + counts["enrolled"],
            unchanged_count=F("unchanged_count") + counts["unchanged"],
        )
        roster_import.processed_rows += len(chunk)
    if roster_import.processed_rows < len(rows):
        return False
    RosterImport.objects.filter(pk=roster_import.pk).update(
        status=RosterImport.Status.DONE, finished_at=clock.now()
    )
    return True


def _fail_import(roster_import_id: int, reason: str) -> None:
    RosterImport.objects.filter(pk=roster_import_id).update(
        status=RosterImport.Status.FAILED, failure=reason[:1000], finished_at=clock.now()
    )


def roster_imports_step(jobs: list) -> dict:
    """Work of the `roster_import` jobs: one chunk of each import per run, as the person who
    confirmed it (re-checked through the access layer each time); due again at once while
    chunks remain, so a large file goes out chunk by chunk and the progress bar moves."""
    now = clock.now()
    again = {}
    for job in jobs:
        roster_import = (
            RosterImport.objects.select_for_update(of=("self",))
            .select_related("cohort__organization", "requested_by")
            .filter(pk=job.target_id)
            .first()
        )
        if roster_import is None or roster_import.status not in (
            RosterImport.Status.QUEUED,
            RosterImport.Status.RUNNING,
        ):
            continue
        person = roster_import.requested_by
        if (
            person is None
            or not person.is_active
            or not cohort_access(person, roster_import.cohort).allows("teach")
        ):
            _fail_import(
                roster_import.pk,
                "The person who confirmed this import may no longer change the cohort.",
            )
            continue
        try:
            with transaction.atomic():
                finished = _roster_import_next_chunk(roster_import, invited_by=person)
        except Exception as exc:
            _fail_import(roster_import.pk, str(exc))
            continue
        if not finished:
            again[job.pk] = now
    return again


@transaction.atomic
def roster_import_run(*, roster_import: RosterImport, invited_by: User) -> RosterImport:
    """Import a small confirmed file at once, in the request (see ROSTER_INLINE_MAX_ROWS)."""
    claimed = RosterImport.objects.filter(
        pk=roster_import.pk, status=RosterImport.Status.PREVIEW
    ).update(status=RosterImport.Status.RUNNING)
    roster_import.refresh_from_db()
    if claimed:
        while not _roster_import_next_chunk(roster_import, invited_by=invited_by):
            pass
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
    # Coaches named in a `coach_email` column are people too: created and invited alike.
    coach_names: dict[str, str] = {}
    for row in rows:
        if row.get("coach_email"):
            # A coach of several people: the first name given for them counts.
            name = coach_names.get(row["coach_email"]) or row.get("coach_name", "")
            coach_names[row["coach_email"]] = name
    everyone = list(dict.fromkeys([*emails, *coach_names]))
    users = _users_by_email(everyone)
    names = {**coach_names, **{r["email"]: r["name"] for r in rows}}
    new_users = [
        User(email=email, display_name=names[email], password=make_password(None))
        for email in everyone
        if email not in users
    ]
    if new_users:
        User.objects.bulk_create(new_users, ignore_conflicts=True)
        users = _users_by_email(everyone)
    user_ids = [users[email].pk for email in emails]
    coach_ids = {users[email].pk for email in coach_names}

    members = set(
        Membership.objects.filter(
            organization=cohort.organization, user_id__in=[*user_ids, *coach_ids]
        ).values_list("user_id", flat=True)
    )
    Membership.objects.bulk_create(
        [
            Membership(organization=cohort.organization, user_id=uid, role=Role.PARTICIPANT)
            for uid in user_ids
            if uid not in members
        ]
        + [
            Membership(organization=cohort.organization, user_id=uid, role=Role.COACH)
            for uid in coach_ids - set(user_ids)
            if uid not in members
        ],
        ignore_conflicts=True,
    )

    now = clock.now()
    enrolments = {e.user_id: e for e in cohort.enrolments.filter(user_id__in=user_ids)}
    to_create, to_update = [], []
    coached: set[int] = set()
    for row in rows:
        user = users[row["email"]]
        group_id = group_ids.get(row["group"]) if row["group"] else None
        coach = users.get(row.get("coach_email") or "")
        enrolment = enrolments.get(user.pk)
        if enrolment is None:
            to_create.append(
                Enrolment(
                    cohort=cohort,
                    user=user,
                    role=CohortRole.PARTICIPANT,
                    study_group_id=group_id,
                    coach=coach,
                    coach_since=now if coach else None,
                )
            )
            if coach:
                coached.add(coach.pk)
            continue
        if enrolment.role != CohortRole.PARTICIPANT:
            continue
        changed = False
        if group_id and enrolment.study_group_id != group_id:
            enrolment.study_group_id = group_id
            changed = True
        # An empty coach_email leaves a coach set earlier as it is: nothing is removed silently.
        if coach and enrolment.coach_id != coach.pk:
            enrolment.coach_id, enrolment.coach_since = coach.pk, now
            coached.add(coach.pk)
            changed = True
        if changed:
            to_update.append(enrolment)
    Enrolment.objects.bulk_create(to_create, ignore_conflicts=True)
    Enrolment.objects.bulk_update(to_update, ["study_group", "coach", "coach_since"])

    to_invite = [e.user for e in to_create if not e.user.has_usable_password()]
    _roster_invite(roster_import=roster_import, users=to_invite, invited_by=invited_by)
    coaches_to_invite = [
        users[email]
        for email in coach_names
        if users[email].pk not in user_ids and not users[email].has_usable_password()
    ]
    _roster_invite(
        roster_import=roster_import, users=coaches_to_invite, invited_by=invited_by, role=Role.COACH
    )
    enrolments_announce(
        cohort=cohort,
        users=[e.user for e in to_create if e.user.has_usable_password()],
        enrolled_by=invited_by,
    )
    if coached:
        hooks.coaches_changed(cohort=cohort, coach_ids=coached)
    return {
        "created": len(new_users),
        "enrolled": len(to_create),
        "unchanged": len(rows) - len(to_create),
    }


def _roster_invite(
    *,
    roster_import: RosterImport,
    users: list[User],
    invited_by: User,
    role: str = Role.PARTICIPANT,
) -> None:
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
                role=role,
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
