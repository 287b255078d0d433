"""What the thread page reads: the page of replies a person may see with their comments, reactions
and what they may do with each post, and which page of replies a post is on."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from cohorts.access import CohortAccess
from discussions import follows
from discussions.access import space_of
from discussions.forms import PostForm
from discussions.models import Post, Reaction, ReactionKind, Thread
from discussions.permissions import PostPermissions
from socialtraining import clock


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


REPLIES_PER_PAGE = 50


@dataclass(frozen=True)
class ReactionButton:
    kind: str
    label: str
    count: int
    mine: bool

    @property
    def pressed(self) -> str:
        return "true" if self.mine else "false"


def thread_context(thread: Thread, access: CohortAccess) -> dict:
    """What every fragment of the thread page needs: the thread, its cohort, the viewer's
    `access` there, and `posts_url`.

    A post's links are `posts_url` + `<id>/<action>/`: one reverse() for the page rather than
    several per post (tests/discussions/test_thread_page.py holds them to the URLconf).
    """
    return access.context(
        thread.cohort, thread=thread, posts_url=f"{thread.get_absolute_url()}posts/"
    )


def decorate_posts(posts: list[Post], user, *, thread: Thread, access: CohortAccess) -> None:
    """Give each shown post its reaction buttons and what `user` may do with it.

    One query for any number of posts: reaction counts grouped by post and kind, with mine.
    """
    counts: dict[tuple[int, str], int] = {}
    mine: set[tuple[int, str]] = set()
    ids = [p.pk for p in posts]
    if ids:
        for post_id, kind, n, by_me in (
            Reaction.objects.filter(post_id__in=ids)
            .values("post_id", "kind")
            .annotate(n=Count("pk"), by_me=Count("pk", filter=Q(user=user)))
            .order_by()
            .values_list("post_id", "kind", "n", "by_me")
        ):
            counts[post_id, kind] = n
            if by_me:
                mine.add((post_id, kind))
    may_moderate = access.can_teach
    now = clock.now()
    posts_url = f"{thread.get_absolute_url()}posts/"
    for post in posts:
        post.thread = thread
        # The post's links are this plus an action: no reverse() per post.
        post.url = f"{posts_url}{post.pk}/"
        post.reaction_buttons = [
            ReactionButton(kind, label, counts.get((post.pk, kind), 0), (post.pk, kind) in mine)
            for kind, label in ReactionKind.choices
        ]
        # The reaction form's "on": the kinds whose button adds (the others take back).
        post.reactions_to_add = " ".join(b.kind for b in post.reaction_buttons if not b.mine)
        rights = PostPermissions(post, user, may_moderate=may_moderate, now=now)
        post.can_react = rights.can_react
        post.can_edit = rights.can_edit
        post.can_remove = rights.can_remove
        post.can_endorse = rights.can_endorse
        post.can_flag = rights.can_flag
        post.can_spark = rights.can_moderate
        # Instructors' and managers' tools for a post come on demand ("Moderate", post_moderate).
        post.moderate_on_demand = rights.can_moderate


def replies_context(
    request: HttpRequest, thread: Thread, access: CohortAccess, *, with_opening: bool = False
) -> dict:
    """The page of replies `request.user` may see, with their comments, reactions and actions;
    and the opening post too when `with_opening` (the full page), in the comments' query.

    Under "post before you see replies" a participant who has not replied sees only how many
    replies wait for them: the same rule holds for the full page, load-more and htmx fragments.
    Comment forms are not built here: a reply's "Comment" button fetches one (`comment`).
    """
    replies = Post.objects.filter(thread=thread, is_opening=False, parent__isnull=True)
    sees_replies = thread.replies_seen_by(request.user, teaches=access.can_teach)
    shown = replies.select_related("author", "endorsed_by") if sees_replies else replies.none()
    page = Paginator(shown, REPLIES_PER_PAGE).get_page(request.GET.get("page"))
    page_replies = list(page.object_list)
    around = Q(parent__in=[r.pk for r in page_replies])
    if with_opening:
        around |= Q(thread=thread, is_opening=True)
    others = (
        list(Post.objects.filter(around).select_related("author", "endorsed_by"))
        if page_replies or with_opening
        else []
    )
    opening = next((p for p in others if p.is_opening), None)
    page_comments = [p for p in others if not p.is_opening]
    comments: dict[int, list[Post]] = {}
    for comment in page_comments:
        comments.setdefault(comment.parent_id, []).append(comment)
    for reply in page_replies:
        reply.page_comments = comments.get(reply.pk, [])
    shown_posts = [*page_replies, *page_comments]
    decorate_posts(
        [opening, *shown_posts] if opening else shown_posts,
        request.user,
        thread=thread,
        access=access,
    )
    return thread_context(thread, access) | {
        "opening": opening,
        "page": page,
        "replies": page_replies,
        "sees_replies": sees_replies,
        "hidden_replies": 0 if sees_replies else replies.count(),
        # The thread counts every post under the opening one; the feed says the same.
        "comments": max(0, thread.reply_count - page.paginator.count) if sees_replies else 0,
    }


def thread_page_context(
    request: HttpRequest, thread: Thread, access: CohortAccess, *, form: PostForm | None = None
) -> dict:
    """Everything the thread page shows, loaded (`make bench` renders it again from memory)."""
    context = replies_context(request, thread, access, with_opening=True)
    return context | {
        "space": space_of(thread),
        "form": form or PostForm(),
        "following": follows.thread_is_followed(thread=thread, user=request.user),
    }


def post_link(post: Post) -> str:
    """The post on its page of the thread: opening posts on page one, others on the page of the
    reply they are or sit under. The one rule of "which page": `post` carries `replies_before`
    (`with_replies_before`)."""
    url = post.thread.get_absolute_url()
    if post.is_opening:
        return f"{url}#post-{post.pk}"
    return f"{url}?page={post.replies_before // REPLIES_PER_PAGE + 1}#post-{post.pk}"


def post_url(post: Post) -> str:
    """`post_link` for one post just written or changed: its `replies_before` in one query."""
    if not post.is_opening:
        posts = with_replies_before(Post.objects.filter(pk=post.pk))
        post.replies_before = posts.values_list("replies_before", flat=True).get()
    return post_link(post)
