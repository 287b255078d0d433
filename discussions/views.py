from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from discussions import access, moderation, services
from discussions.forms import CommentForm, FlagForm, PostForm, SearchForm, ThreadForm
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


# Moderation and search.

SEARCH_RESULTS_PER_PAGE = 20
QUEUE_ITEMS_PER_PAGE = 20
MODERATION_ACTIONS = {
    "hide": (services.post_hide, "The post is hidden from members."),
    "restore": (services.post_restore, "The post is visible again; its author has been told."),
    "dismiss": (services.flags_dismiss, "The flags are dismissed; the post stays as it is."),
}


def _post_link(post: Post) -> str:
    """The post on its page of the thread: opening posts on page one, others where they sit."""
    url = services.thread_url(post.thread)
    if post.is_opening:
        return f"{url}#post-{post.pk}"
    return f"{url}?page={post.replies_before // REPLIES_PER_PAGE + 1}#post-{post.pk}"


@login_required
@require_http_methods(["GET", "POST"])
def post_flag(request: HttpRequest, pk: int, thread_pk: int, post_pk: int) -> HttpResponse:
    post = access.get_post_for(request.user, pk, thread_pk, post_pk)
    form = FlagForm(request.POST if request.method == "POST" else None)
    context = {"cohort": post.thread.cohort, "thread": post.thread, "post": post, "form": form}
    try:
        services.check_can_flag(post=post, user=request.user)
        if form.is_valid():
            services.post_flag(post=post, user=request.user, reason=form.reason_text())
            if request.htmx:
                return render(request, "discussions/flag_form.html#flag-done", context)
            messages.success(request, "Thank you. A moderator will review the post.")
            return redirect(f"{services.thread_url(post.thread)}#post-{post.pk}")
    except services.ModerationError as error:
        context["refusal"] = str(error)
    if request.htmx:
        # htmx swaps only 2xx answers: the refusal or the form's errors come back in place.
        return render(request, "discussions/flag_form.html#flag-form", context)
    failed = request.method == "POST" and ("refusal" in context or form.errors)
    return render(request, "discussions/flag_form.html", context, status=400 if failed else 200)


@login_required
@require_GET
def moderation_queue(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = access.get_cohort_for(request.user, pk, "teach")
    page = Paginator(moderation.moderation_queue(cohort), QUEUE_ITEMS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    items = list(page.object_list)
    moderation.attach_open_flags(items)
    for item in items:
        item.link = _post_link(item)
    context = {"cohort": cohort, "page": page, "items": items}
    return render(request, "discussions/moderation_queue.html", context)


@login_required
@require_GET
def moderation_count(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = access.get_cohort_for(request.user, pk, "teach")
    context = {"cohort": cohort, "count": moderation.open_flag_count(cohort)}
    return render(request, "discussions/moderation_link.html#count", context)


@login_required
@require_POST
def moderate_post(
    request: HttpRequest, pk: int, thread_pk: int, post_pk: int, action: str
) -> HttpResponse:
    post = moderation.get_post_to_moderate(request.user, pk, thread_pk, post_pk)
    act, message = MODERATION_ACTIONS[action]
    act(post=post, moderator=request.user)
    cohort = post.thread.cohort
    if request.htmx:
        items = list(moderation.moderation_queue(cohort).filter(pk=post.pk))
        moderation.attach_open_flags(items)
        for item in items:
            item.link = _post_link(item)
        context = {"cohort": cohort, "item": items[0] if items else None, "done": message}
        context["post"] = post
        return render(request, "discussions/moderation_queue.html#queue-item", context)
    messages.success(request, message)
    return redirect("discussions:moderation", cohort.pk)


@login_required
@require_GET
def search(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = access.get_cohort_for(request.user, pk)
    form = SearchForm(request.GET)
    text = form.cleaned_data["q"] if form.is_valid() else ""
    page = None
    if text:
        results = moderation.search_posts(request.user, cohort, text)
        page = Paginator(results, SEARCH_RESULTS_PER_PAGE).get_page(request.GET.get("page"))
        for post in page.object_list:
            post.link = _post_link(post)
    context = {"cohort": cohort, "form": form, "q": text, "page": page}
    template = "discussions/search.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context, status=400 if form.errors else 200)
