"""Writes in the cohorts app: cohorts and sessions, enrolment, roster imports, study groups."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable

from django.db import transaction
from django.urls import reverse

from accounts.models import Organization, Role, User
from accounts.services import (
    invitation_create,
    membership_ensure,
    user_for_email,
)
from cohorts import hooks
from cohorts.models import Cohort, CohortRole, Enrolment, StudyGroup, WorkshopSession
from notifications.models import EmailKind
from notifications.services import Notice, notify_many

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
    enrolments_announce(cohort=cohort, users=[user], enrolled_by=enrolled_by)


def enrolments_announce(*, cohort: Cohort, users: list[User], enrolled_by: User) -> None:
    """Tell people who can already sign in that they were enrolled: nobody is added silently."""
    title = f"You were enrolled in {cohort.name}"
    body = f"{enrolled_by.name} added you to {cohort.name} ({cohort.organization.name})."
    url = reverse("cohorts:detail", args=[cohort.pk])
    notify_many(
        [
            Notice(
                user=user,
                key=f"enrolled:{cohort.pk}",
                kind=EmailKind.ACCOUNT,
                title=title,
                body=body,
                url=url,
            )
            for user in users
        ]
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
