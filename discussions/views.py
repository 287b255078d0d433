from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from discussions import access, services
from discussions.forms import CommentForm, PostForm, ThreadForm
from discussions.models import Post, Thread

THREADS_PER_PAGE = 30
REPLIES_PER_PAGE = 50
FEED_SORTS = {
    "latest": ("-pinned", "-last_activity_at", "-pk"),
    "newest": ("-pinned", "-created_at", "-pk"),
}


@login_required
@require_GET
def space_feed(request: HttpRequest, pk: int, group_pk: int | None = None) -> HttpResponse:
    space = access.get_space_for(request.user, pk, group_pk)
    sort = request.GET.get("sort") if request.GET.get("sort") in FEED_SORTS else "latest"
    unanswered = request.GET.get("filter") == "unanswered"
    threads = space.threads().select_related("author").order_by(*FEED_SORTS[sort])
    if unanswered:
        threads = threads.filter(reply_count=0)
    page = Paginator(threads, THREADS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "cohort": space.cohort,
        "space": space,
        "page": page,
        "sort": sort,
        "unanswered": unanswered,
        "groups": []
        if space.study_group
        else list(access.study_groups_visible_to(request.user, space.cohort)),
    }
    template = "discussions/feed.html"
    if request.htmx:
        template += "#thread-list"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def thread_new(request: HttpRequest, pk: int, group_pk: int | None = None) -> HttpResponse:
    space = access.get_space_for(request.user, pk, group_pk)
    form = ThreadForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            thread = services.thread_start(
                cohort=space.cohort,
                study_group=space.study_group,
                author=request.user,
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                url=form.cleaned_data["url"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except services.PostingError as error:
            form.add_error(None, str(error))
        else:
            return redirect("discussions:thread", space.cohort.pk, thread.pk)
    context = {"cohort": space.cohort, "space": space, "form": form}
    return render(
        request, "discussions/thread_new.html", context, status=400 if form.errors else 200
    )


def _thread_page(
    request: HttpRequest, thread: Thread, *, form: PostForm | None = None, status: int = 200
) -> HttpResponse:
    posts = Post.objects.filter(thread=thread).select_related("author")
    opening = posts.filter(is_opening=True).first()
    replies = posts.filter(is_opening=False, parent__isnull=True)
    page = Paginator(replies, REPLIES_PER_PAGE).get_page(request.GET.get("page"))
    page_replies = list(page.object_list)
    comments: dict[int, list[Post]] = {}
    for comment in posts.filter(parent__in=[r.pk for r in page_replies]):
        comments.setdefault(comment.parent_id, []).append(comment)
    for reply in page_replies:
        reply.thread = thread
        reply.page_comments = comments.get(reply.pk, [])
        reply.comment_form = CommentForm(auto_id=f"comment-{reply.pk}-%s")
    context = {
        "cohort": thread.cohort,
        "space": access.space_of(thread),
        "thread": thread,
        "opening": opening,
        "page": page,
        "replies": page_replies,
        "form": form or PostForm(),
    }
    return render(request, "discussions/thread.html", context, status=status)


@login_required
@require_GET
def thread_detail(request: HttpRequest, pk: int, thread_pk: int) -> HttpResponse:
    thread = access.get_thread_for(request.user, pk, thread_pk)
    return _thread_page(request, thread)


def _post_or_error(form, thread: Thread, user, parent: Post | None = None) -> Post | None:
    """Post the form's text; on refusal put the reason on the form and return None."""
    if not form.is_valid():
        return None
    try:
        return services.post_reply(
            thread=thread,
            author=user,
            body=form.cleaned_data["body"],
            parent=parent,
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except services.PostingError as error:
        form.add_error(None, str(error))
        return None


def _last_page(thread: Thread) -> int:
    replies = Post.objects.filter(thread=thread, is_opening=False, parent__isnull=True).count()
    return max(1, -(-replies // REPLIES_PER_PAGE))


@login_required
@require_POST
def reply(request: HttpRequest, pk: int, thread_pk: int) -> HttpResponse:
    thread = access.get_thread_for(request.user, pk, thread_pk)
    form = PostForm(request.POST)
    post = _post_or_error(form, thread, request.user)
    if request.htmx:
        # htmx swaps only 2xx answers: the form comes back with its error and the kept text.
        context = {"cohort": thread.cohort, "thread": thread, "form": form, "post": post}
        if post is not None:
            post.page_comments = []
            post.comment_form = CommentForm(auto_id=f"comment-{post.pk}-%s")
            context["form"] = PostForm()
        return render(request, "discussions/thread.html#reply-posted", context)
    if post is None:
        return _thread_page(request, thread, form=form, status=400)
    return redirect(f"{services.thread_url(thread)}?page={_last_page(thread)}#post-{post.pk}")


@login_required
@require_POST
def comment(request: HttpRequest, pk: int, thread_pk: int, post_pk: int) -> HttpResponse:
    parent = access.get_post_for(request.user, pk, thread_pk, post_pk)
    thread = parent.thread
    form = CommentForm(request.POST, auto_id=f"comment-{parent.pk}-%s")
    post = _post_or_error(form, thread, request.user, parent=parent)
    if request.htmx:
        if post is not None:
            form = CommentForm(auto_id=f"comment-{parent.pk}-%s")
        parent.comment_form = form
        context = {"cohort": thread.cohort, "thread": thread, "reply": parent, "post": post}
        return render(request, "discussions/thread.html#comment-posted", context)
    if post is None:
        parent.comment_form = form
        context = {"cohort": thread.cohort, "thread": thread, "reply": parent}
        return render(request, "discussions/comment_form.html", context, status=400)
    return redirect(f"{services.thread_url(thread)}#post-{post.pk}")
