"""The one place that answers "may this user see or do this here".

Every view and every task that takes an id fetches its object through a function below. Anything a
person may not reach is a 404, never a 403, so ids reveal nothing about other organisations or
cohorts. Actions, from weakest to strongest:

- ``view``: see the cohort (its managers, instructors and participants);
- ``teach``: run the cohort (instructors and managers): roster, study groups, prompts;
- ``manage``: change the cohort itself (managers only): details, sessions, instructors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

from django.db.models import Exists, Model, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from accounts.access import get_organization_for, managed_organization_ids, organizations_managed_by
from accounts.models import Membership, Role, User
from cohorts.models import Cohort, CohortRole, Enrolment, RosterImport, StudyGroup

__all__ = [
    "CohortAccess",
    "CohortScope",
    "cohort_access",
    "cohorts_taught_by",
    "cohorts_visible_to",
    "enrolments_coached_by",
    "get_coached_enrolment_for",
    "get_cohort_for",
    "get_cohort_row_for",
    "get_enrolment_for",
    "get_organization_for",
    "get_own_enrolment_for",
    "get_roster_import_for",
    "get_study_group_for",
    "organizations_managed_by",
    "people_who_see",
    "study_groups_visible_to",
]

Action = Literal["view", "teach", "manage"]


@dataclass(frozen=True)
class CohortAccess:
    role: str | None  # "manager", "instructor", "participant" or None
    study_group_id: int | None = None

    @property
    def can_view(self) -> bool:
        return self.role is not None

    @property
    def can_teach(self) -> bool:
        return self.role in ("manager", "instructor")

    @property
    def can_manage(self) -> bool:
        return self.role == "manager"

    def allows(self, action: Action) -> bool:
        return {"view": self.can_view, "teach": self.can_teach, "manage": self.can_manage}[action]

    def context(self, cohort: Cohort, **values) -> dict:
        """A cohort page's template context: the cohort, this access as its own variable `access`
        (never attached to the instance) and the page's other `values`."""
        return {"cohort": cohort, "access": self, **values}


NO_ACCESS = CohortAccess(role=None)


class CohortScope(NamedTuple):
    """A cohort and what the person who asked for it may do there: returned together, as Zulip's
    `access_stream_by_id` returns `(stream, sub)`, never attached to the instance. Views pass
    `access` to templates as its own variable (`CohortAccess.context`)."""

    cohort: Cohort
    access: CohortAccess


def cohorts_visible_to(user: User) -> QuerySet[Cohort]:
    if not user.is_authenticated:
        return Cohort.objects.none()
    enrolled = Enrolment.objects.filter(user=user).values("cohort_id")
    return Cohort.objects.filter(
        Q(organization_id__in=managed_organization_ids(user)) | Q(pk__in=enrolled)
    )


def cohorts_taught_by(user: User) -> QuerySet[Cohort]:
    if not user.is_authenticated:
        return Cohort.objects.none()
    teaching = Enrolment.objects.filter(user=user, role=CohortRole.INSTRUCTOR).values("cohort_id")
    return Cohort.objects.filter(
        Q(organization_id__in=managed_organization_ids(user)) | Q(pk__in=teaching)
    )


def _access(*, manages: bool, role: str | None, study_group_id: int | None) -> CohortAccess:
    """The rule: the organisation's managers manage; otherwise the enrolment's role, or none."""
    if manages:
        return CohortAccess("manager", study_group_id)
    if role is None:
        return NO_ACCESS
    return CohortAccess(role, study_group_id)


def cohort_access(user: User, cohort: Cohort) -> CohortAccess:
    """What `user` may do in `cohort` (two small queries at most)."""
    if not user.is_authenticated:
        return NO_ACCESS
    enrolment = (
        Enrolment.objects.filter(cohort=cohort, user=user).only("role", "study_group_id").first()
    )
    manages = Membership.objects.filter(
        organization_id=cohort.organization_id, user=user, role=Role.MANAGER
    ).exists()
    return _access(
        manages=manages,
        role=enrolment.role if enrolment else None,
        study_group_id=enrolment.study_group_id if enrolment else None,
    )


def get_cohort_for(user: User, pk: int, action: Action = "view") -> CohortScope:
    """The cohort `pk` and the user's access to it if they may do `action` there; otherwise 404.

    One query: the cohort with the user's enrolment and manager membership alongside, as every
    cohort page starts here.
    """
    if not user.is_authenticated:
        raise Http404("No such cohort.")
    mine = Enrolment.objects.filter(cohort=OuterRef("pk"), user=user).order_by()
    cohort = (
        Cohort.objects.select_related("organization")
        .annotate(
            my_role=Subquery(mine.values("role")[:1]),
            my_study_group_id=Subquery(mine.values("study_group_id")[:1]),
            i_manage=Exists(
                Membership.objects.filter(
                    organization_id=OuterRef("organization_id"), user=user, role=Role.MANAGER
                )
            ),
        )
        .filter(pk=pk)
        .first()
    )
    if cohort is None:
        raise Http404("No such cohort.")
    access = _access(
        manages=cohort.i_manage, role=cohort.my_role, study_group_id=cohort.my_study_group_id
    )
    if not access.allows(action):
        raise Http404("No such cohort.")
    return CohortScope(cohort, access)


def study_groups_visible_to(
    user: User, cohort: Cohort, access: CohortAccess | None = None
) -> QuerySet[StudyGroup]:
    """Instructors and managers see every group of the cohort; a participant only their own.
    `access` is the user's, when the caller has it already (from `get_cohort_for`)."""
    if access is None:
        access = cohort_access(user, cohort)
    groups = StudyGroup.objects.filter(cohort=cohort)
    if access.can_teach:
        return groups
    if access.study_group_id:
        return groups.filter(pk=access.study_group_id)
    return groups.none()


def people_who_see(cohort: Cohort, study_group: StudyGroup | None = None) -> QuerySet[User]:
    """Active people who see the cohort's space, or a study group's: the other side of
    `study_groups_visible_to`. The cohort's members (a group's: its members and the cohort's
    instructors) and the organisation's managers. One query when evaluated."""
    enrolments = Enrolment.objects.filter(cohort=cohort)
    if study_group is not None:
        enrolments = enrolments.filter(Q(study_group=study_group) | Q(role=CohortRole.INSTRUCTOR))
    managers = Membership.objects.filter(organization_id=cohort.organization_id, role=Role.MANAGER)
    return User.objects.filter(
        Q(pk__in=enrolments.values("user_id")) | Q(pk__in=managers.values("user_id")),
        is_active=True,
    )


def get_cohort_row_for[M: Model](
    user: User,
    cohort_pk: int,
    rows: QuerySet[M],
    pk: int,
    *,
    missing: str,
    action: Action = "teach",
) -> tuple[M, CohortAccess]:
    """Row `pk` of `rows` (a model with a `cohort`) in a cohort `user` may `action`, with their
    access there; a 404 saying `missing` otherwise. The row's `cohort` is the one checked."""
    cohort, access = get_cohort_for(user, cohort_pk, action)
    row = rows.filter(cohort=cohort, pk=pk).first()
    if row is None:
        raise Http404(missing)
    row.cohort = cohort
    return row, access


def get_study_group_for(
    user: User, cohort_pk: int, pk: int, action: Action = "view"
) -> tuple[StudyGroup, CohortAccess]:
    cohort, access = get_cohort_for(user, cohort_pk, "teach" if action != "view" else "view")
    group = study_groups_visible_to(user, cohort, access).filter(pk=pk).first()
    if group is None:
        raise Http404("No such study group.")
    group.cohort = cohort
    return group, access


def get_roster_import_for(
    user: User, cohort_pk: int, pk: int, *, without_rows: bool = False
) -> tuple[RosterImport, CohortAccess]:
    """The import; `without_rows` leaves its (possibly 5,000-row) lists in the database."""
    imports = RosterImport.objects.all()
    if without_rows:
        imports = imports.defer("rows", "errors")
    return get_cohort_row_for(user, cohort_pk, imports, pk, missing="No such roster import.")


def get_enrolment_for(
    user: User, cohort_pk: int, pk: int, action: Action = "teach"
) -> tuple[Enrolment, CohortAccess]:
    enrolments = Enrolment.objects.select_related("user", "study_group")
    return get_cohort_row_for(
        user, cohort_pk, enrolments, pk, action=action, missing="No such enrolment."
    )


# Coaches: a person's line manager or mentor sees their own people only, never the cohort.


def enrolments_coached_by(user: User) -> QuerySet[Enrolment]:
    """The participants `user` coaches, in any cohort of any organisation."""
    if not user.is_authenticated:
        return Enrolment.objects.none()
    return Enrolment.objects.filter(coach=user, role=CohortRole.PARTICIPANT)


def get_coached_enrolment_for(user: User, pk: int) -> Enrolment:
    """An enrolment of someone `user` coaches; anyone else's is a 404 (managers included: they
    have the cohort's own pages)."""
    enrolment = (
        enrolments_coached_by(user)
        .select_related("user", "cohort__organization", "coach")
        .filter(pk=pk)
        .first()
    )
    if enrolment is None:
        raise Http404("No such person.")
    return enrolment


def get_own_enrolment_for(user: User, cohort_pk: int) -> Enrolment:
    """`user`'s own participant enrolment in the cohort; otherwise 404."""
    if not user.is_authenticated:
        raise Http404("No such cohort.")
    enrolment = (
        Enrolment.objects.select_related("user", "cohort__organization", "coach")
        .filter(cohort_id=cohort_pk, user=user, role=CohortRole.PARTICIPANT)
        .first()
    )
    if enrolment is None:
        raise Http404("No such cohort.")
    return enrolment
