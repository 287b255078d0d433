"""Search of a cohort's posts, as the person searching may see them."""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import (
    Case,
    F,
    Q,
    QuerySet,
    Value,
    When,
)

from accounts.models import User
from cohorts.access import CohortAccess
from cohorts.models import Cohort
from discussions.models import Post, Thread
from discussions.thread_page import with_replies_before


def search_posts(user: User, cohort: Cohort, access: CohortAccess, text: str) -> QuerySet[Post]:
    """Posts of `cohort` that `user` (whose `access` there it is) may see and that match `text`,
    best first.

    PostgreSQL ranks by full-text search over the post and, for an opening post, its thread's
    title; SQLite, the embedded default, falls back to a case-insensitive substring match.
    """
    posts = Post.objects.filter(
        thread__in=Thread.objects.visible_to(user, cohort, access), removed_at__isnull=True
    )
    if not access.can_teach:
        posts = posts.filter(hidden_at__isnull=True)
    # "Post before you see replies": peers' replies stay out of sight until the user replied.
    posts = posts.seen_by(user, teaches=access.can_teach)
    if connection.vendor == "postgresql":
        query = SearchQuery(text, search_type="websearch", config="english")
        title = Case(When(is_opening=True, then=F("thread__title")), default=Value(""))
        document = SearchVector(title, weight="A", config="english") + SearchVector(
            "body", weight="B", config="english"
        )
        posts = (
            posts.annotate(document=document)
            .filter(document=query)
            .annotate(rank=SearchRank(F("document"), query))
            .order_by("-rank", "-created_at", "-pk")
        )
    else:
        posts = posts.filter(
            Q(body__icontains=text) | Q(is_opening=True, thread__title__icontains=text)
        ).order_by("-created_at", "-pk")
    return with_replies_before(posts.select_related("thread", "thread__study_group", "author"))
