from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from discussions import access, services
from discussions.forms import CommentForm, PostForm, PromptForm, ThreadForm
from discussions.models import Anchor, Post, Prompt, ScheduleError, Thread
from notifications.scheduling import DueStatus

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


# Prompts: the instructors' timeline, scheduling, editing, cancelling, publishing now.

PROMPTS_PER_PAGE = 50
EDITABLE_PROMPT = (DueStatus.PENDING, DueStatus.FAILED)


def _prompt_timeline_page(
    request: HttpRequest, cohort, *, error: str = "", status: int = 200
) -> HttpResponse:
    threads = Thread.objects.visible().select_related("study_group").order_by("study_group__name")
    prompts = (
        Prompt.objects.filter(cohort=cohort)
        .select_related("author")
        .prefetch_related(Prefetch("threads", queryset=threads))
        .order_by("due_at", "pk")
    )
    page = Paginator(prompts, PROMPTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "cohort": cohort,
        "page": page,
        "has_sessions": cohort.sessions.exists(),
        "error": error,
    }
    return render(request, "discussions/prompt_timeline.html", context, status=status)


@login_required
@require_GET
def prompt_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = access.get_cohort_for(request.user, pk, "teach")
    return _prompt_timeline_page(request, cohort)


def _prompt_saved(form: PromptForm, save) -> Prompt | None:
    """Run `save` if the form is valid; put a refusal on the form and return None."""
    if not form.is_valid():
        return None
    try:
        return save(**form.cleaned_data)
    except ScheduleError as error:
        form.add_error(error.field, str(error))
    except services.PromptError as error:
        form.add_error(None, str(error))
    return None


def _prompt_saved_message(request: HttpRequest, prompt: Prompt) -> None:
    if prompt.anchor == Anchor.NOW:
        messages.success(request, f"“{prompt.title}” is being published now.")
        return
    local = timezone.localtime(prompt.due_at, prompt.cohort.tz)
    when = f"{local:%a %-d %b %Y, %H:%M} ({prompt.cohort.time_zone})"
    messages.success(request, f"“{prompt.title}” is scheduled for {when}.")


@login_required
@require_http_methods(["GET", "POST"])
def prompt_new(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = access.get_cohort_for(request.user, pk, "teach")
    # The date and time typed in the form are the cohort's local time.
    with timezone.override(cohort.tz):
        form = PromptForm(request.POST if request.method == "POST" else None)

        def create(**data) -> Prompt:
            return services.prompt_create(cohort=cohort, author=request.user, **data)

        prompt = _prompt_saved(form, create)
        if prompt is not None:
            _prompt_saved_message(request, prompt)
            return redirect("discussions:prompt_timeline", cohort.pk)
        context = {"cohort": cohort, "form": form}
        return render(
            request, "discussions/prompt_form.html", context, status=400 if form.errors else 200
        )


def _prompt_initial(prompt: Prompt) -> dict:
    return {
        "kind": prompt.kind,
        "title": prompt.title,
        "url": prompt.url,
        "body": prompt.body,
        "quote": prompt.quote,
        "target": prompt.target,
        "post_first": prompt.post_first,
        "anchor": prompt.anchor,
        "at": prompt.due_at if prompt.anchor == Anchor.AT else None,
        "offset_days": prompt.offset_days if prompt.is_offset else None,
        "release_time": prompt.release_time,
    }


@login_required
@require_http_methods(["GET", "POST"])
def prompt_edit(request: HttpRequest, pk: int, prompt_pk: int) -> HttpResponse:
    prompt = access.get_prompt_for(request.user, pk, prompt_pk)
    with timezone.override(prompt.cohort.tz):
        form = PromptForm(
            request.POST if request.method == "POST" else None, initial=_prompt_initial(prompt)
        )
        saved = _prompt_saved(form, lambda **data: services.prompt_update(prompt=prompt, **data))
        if saved is not None:
            _prompt_saved_message(request, saved)
            return redirect("discussions:prompt_timeline", prompt.cohort.pk)
        context = {
            "cohort": prompt.cohort,
            "prompt": prompt,
            "form": form,
            "editable": prompt.status in EDITABLE_PROMPT,
        }
        return render(
            request, "discussions/prompt_form.html", context, status=400 if form.errors else 200
        )


def _prompt_changed(request: HttpRequest, prompt: Prompt, change, done: str) -> HttpResponse:
    """Apply a one-click change (cancel, publish now); answer with its row or the timeline."""
    error = ""
    try:
        prompt = change(prompt=prompt)
    except services.PromptError as refusal:
        error = str(refusal)
        prompt.refresh_from_db()
    if request.htmx:
        # htmx swaps only 2xx answers: the row comes back with the refusal written in it.
        context = {"cohort": prompt.cohort, "prompt": prompt, "row_error": error}
        return render(request, "discussions/prompt_timeline.html#prompt-row", context)
    if error:
        return _prompt_timeline_page(request, prompt.cohort, error=error, status=400)
    messages.success(request, done.format(title=prompt.title))
    return redirect("discussions:prompt_timeline", prompt.cohort.pk)


@login_required
@require_POST
def prompt_cancel(request: HttpRequest, pk: int, prompt_pk: int) -> HttpResponse:
    prompt = access.get_prompt_for(request.user, pk, prompt_pk)
    return _prompt_changed(
        request, prompt, services.prompt_cancel, "“{title}” is cancelled; it will not be released."
    )


@login_required
@require_POST
def prompt_publish(request: HttpRequest, pk: int, prompt_pk: int) -> HttpResponse:
    prompt = access.get_prompt_for(request.user, pk, prompt_pk)
    return _prompt_changed(
        request, prompt, services.prompt_publish_now, "“{title}” is being published now."
    )
