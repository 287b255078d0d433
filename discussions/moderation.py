"""What moderators and searchers read: the moderation queue, its count, and search results.

Writes (flagging, hiding, restoring) are in discussions.services; these are the queries, each a
constant number of database round trips whatever the size of the cohort.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.models import User
from cohorts.models import Cohort
from discussions import access
from discussions.models import Flag, Post


def get_post_to_moderate(user: User, cohort_pk: int, thread_pk: int, pk: int) -> Post:
    """The post, if `user` moderates its cohort (instructors and managers); otherwise 404."""
    post = access.get_post_for(user, cohort_pk, thread_pk, pk)
    if not post.thread.cohort.access.can_teach:
        raise Http404("No such post.")
    return post


def with_replies_before(posts: QuerySet[Post]) -> QuerySet[Post]:
    """Annotate `replies_before`: the top-level replies shown before this post's reply.

    The thread page pages replies in (created_at, pk) order, so a link can name the page a reply,
    or the reply a comment sits under, is on, in one subquery rather than a query per result.
    """
    earlier = (
        Post.objects.filter(thread_id=OuterRef("thread_id"), is_opening=False, parent__isnull=True)
        .filter(
            Q(created_at__lt=OuterRef("anchor_created_at"))
            | Q(created_at=OuterRef("anchor_created_at"), pk__lt=OuterRef("anchor_pk"))
        )
        .order_by()
        .values("thread_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return posts.annotate(
        anchor_created_at=Coalesce(F("parent__created_at"), F("created_at")),
        anchor_pk=Coalesce(F("parent_id"), F("pk")),
        replies_before=Coalesce(Subquery(earlier, output_field=IntegerField()), Value(0)),
    )


def _cohort_posts(cohort: Cohort) -> QuerySet[Post]:
    return Post.objects.filter(
        thread__cohort=cohort, thread__removed_at__isnull=True, removed_at__isnull=True
    )


def open_flag_count(cohort: Cohort) -> int:
    """Posts of the cohort with flags nobody has reviewed yet: the moderators' to-do count."""
    flagged = Flag.objects.filter(post=OuterRef("pk"), resolved_at__isnull=True)
    return _cohort_posts(cohort).filter(Exists(flagged)).count()


def moderation_queue(cohort: Cohort) -> QuerySet[Post]:
    """Posts with open flags or hidden, those waiting for review first, newest flag first."""
    posts = (
        _cohort_posts(cohort)
        .annotate(
            open_flags=Count("flags", filter=Q(flags__resolved_at__isnull=True)),
            last_flagged_at=Max("flags__created_at"),
        )
        .filter(Q(open_flags__gt=0) | Q(hidden_at__isnull=False))
        .annotate(
            waiting=Case(When(open_flags__gt=0, then=Value(1)), default=Value(0)),
        )
        .select_related("thread", "author")
        .order_by("-waiting", F("last_flagged_at").desc(nulls_last=True), "-pk")
    )
    return with_replies_before(posts)


def attach_open_flags(posts: list[Post]) -> None:
    """Give each post its open flags and a tally per reason, in one query for the page."""
    flags: dict[int, list[Flag]] = {}
    for flag in (
        Flag.objects.filter(post__in=[p.pk for p in posts], resolved_at__isnull=True)
        .select_related("user")
        .order_by("created_at")
    ):
        flags.setdefault(flag.post_id, []).append(flag)
    for post in posts:
        post.open_flag_list = flags.get(post.pk, [])
        tally: dict[str, int] = {}
        for flag in post.open_flag_list:
            # A reason is stored as "<choice>" or "<choice>: <the flagger's words>".
            choice = flag.reason.split(":", 1)[0]
            tally[choice] = tally.get(choice, 0) + 1
        post.reason_tally = sorted(tally.items(), key=lambda item: -item[1])


def search_posts(user: User, cohort: Cohort, text: str) -> QuerySet[Post]:
    """Posts of `cohort` that `user` may see and that match `text`, best first.

    PostgreSQL ranks by full-text search over the post and, for an opening post, its thread's
    title; SQLite, the embedded default, falls back to a case-insensitive substring match.
    """
    posts = Post.objects.filter(
        thread__in=access.threads_visible_to(user, cohort), removed_at__isnull=True
    )
    if not cohort.access.can_teach:
        posts = posts.filter(hidden_at__isnull=True)
        # "Post before you see replies": peers' replies stay out of sight until the user posted.
        own_reply = Post.objects.filter(thread=OuterRef("thread"), author=user, is_opening=False)
        posts = posts.exclude(
            Q(thread__post_first=True, is_opening=False) & ~Q(author=user) & ~Exists(own_reply)
        )
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
