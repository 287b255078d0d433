from django.http import HttpRequest

from cohorts.access import organizations_managed_by


def insights_nav(request: HttpRequest) -> dict:
    """Whether to show managers the Insights link (one query, only when a page asks)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"manages_organization": lambda: organizations_managed_by(user).exists()}
