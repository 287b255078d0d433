"""Who may read insights: an organisation's managers, for that organisation only.

Instructors and participants get 404 (never 403), like everywhere else, and so does a manager
asking for another organisation or for cohorts that are not theirs.
"""

from __future__ import annotations

from django.http import Http404

from accounts.models import Organization, User
from cohorts.access import organizations_managed_by
from insights.models import CohortRollup


def get_insights_organization_for(user: User, slug: str | None = None) -> Organization:
    """The organisation whose insights `user` reads: `slug`, or the first they manage by name
    (the home page lists managed organisations in that order). Sets `organization.managed`,
    every organisation they manage, for the switcher."""
    managed = list(organizations_managed_by(user))
    if slug:
        chosen = next((org for org in managed if org.slug == slug), None)
    else:
        chosen = managed[0] if managed else None
    if chosen is None:
        raise Http404("No insights here.")
    chosen.managed = managed
    return chosen


def get_rollups_for(organization: Organization, cohort_ids: list[int]) -> list[CohortRollup]:
    """The rollups of exactly these cohorts of `organization`, in the order asked; else 404."""
    rollups = {
        r.cohort_id: r
        for r in CohortRollup.objects.for_organization(organization)
        .filter(cohort_id__in=cohort_ids)
        .select_related("cohort")
    }
    if len(rollups) != len(cohort_ids):
        raise Http404("No such cohort.")
    return [rollups[pk] for pk in cohort_ids]
