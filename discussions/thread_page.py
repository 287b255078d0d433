"""What the thread page reads: which page of replies a post is on."""

from __future__ import annotations

from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from discussions.models import Post


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
