"""The navigation's data, for every page that extends base.html: no page fetches a part of its
own navigation with another request."""

from __future__ import annotations

from functools import cached_property

from django.db.models import Count, Exists, IntegerField, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from accounts.access import organizations_managed_by
from accounts.models import User
from notifications.models import Notification


class Navigation:
    """What the main navigation shows beyond the links everyone has: the unread badge and, for the
    managers of an organisation, the Insights link. One query for both, and only when a page
    renders the navigation (an htmx fragment or a download pays nothing)."""

    def __init__(self, user: User) -> None:
        self.user = user

    @cached_property
    def _counts(self) -> dict:
        unread = (
            Notification.objects.unread_by(self.user)
            .order_by()
            .values("user")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            User.objects.filter(pk=self.user.pk)
            .values(
                unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
                insights=Exists(organizations_managed_by(self.user)),
            )
            .get()
        )

    @property
    def unread(self) -> int:
        return self._counts["unread"]

    @property
    def insights(self) -> bool:
        return self._counts["insights"]


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"navigation": Navigation(user)}
