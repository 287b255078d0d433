from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import push_url

from cohorts.access import CohortAccess, study_groups_visible_to
from discussions import access, follows, mentions, posting, reactions
from discussions.forms import (
    CommentForm,
    PostEditForm,
    PostForm,
    ReactionForm,
    SearchForm,
    SwitchForm,
    ThreadForm,
)
from discussions.models import (
    Post,
    Thread,
)
from discussions.moderation import open_flag_count
from discussions.search import search_posts
from discussions.thread_page import (
    decorate_posts,
    post_link,
    post_url,
    replies_context,
    thread_context,
    thread_page_context,
)

THREADS_PER_PAGE = 30
FEED_SORTS = {
    "latest": ("-pinned", "-last_activity_at", "-pk"),
    "newest": ("-pinned", "-created_at", "-pk"),
    "reactions": ("-pinned", "-reaction_count", "-last_activity_at", "-pk"),
}


@login_required
@require_GET
def space_feed(request: HttpRequest, pk: int, group_pk: int | None = None) -> HttpResponse:
    space, scope = access.get_space_for(request.user, pk, group_pk)
    sort = request.GET.get("sort") if request.GET.get("sort") in FEED_SORTS else "latest"
    unanswered = request.GET.get("filter") == "unanswered"
    threads = (
        space.threads()
        .select_related("author")
        .with_unread_for(request.user)
        .with_reply_split()
        .order_by(*FEED_SORTS[sort])
    )
    if unanswered:
        threads = threads.filter(reply_count=0)
    page = Paginator(threads, THREADS_PER_PAGE).get_page(request.GET.get("page"))
    context = scope.context(
        space.cohort,
        # The moderators' to-do count, with the page (the htmx list of threads shows no link).
        open_flags=open_flag_count(space.cohort) if scope.can_teach and not request.htmx else 0,
        space=space,
        page=page,
        sort=sort,
        unanswered=unanswered,
        pager_query=urlencode({"sort": sort, **({"filter": "unanswered"} if unanswered else {})}),
        groups=[]
        if space.study_group
        else list(study_groups_visible_to(request.user, space.cohort, scope)),
    )
    template = "discussions/feed.html"
    if request.htmx:
        template += "#thread-list"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def thread_new(request: HttpRequest, pk: int, group_pk: int | None = None) -> HttpResponse:
    space, scope = access.get_space_for(request.user, pk, group_pk)
    form = ThreadForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            thread = posting.thread_start(
                cohort=space.cohort,
                study_group=space.study_group,
                author=request.user,
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                url=form.cleaned_data["url"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except posting.PostingError as error:
            form.add_error(None, str(error))
        else:
            return redirect("discussions:thread", space.cohort.pk, thread.pk)
    context = scope.context(space.cohort, space=space, form=form)
    return render(
        request, "discussions/thread_new.html", context, status=400 if form.errors else 200
    )


def in_place(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """A fragment for a boosted control of the thread page (hx-boost: htmx sends a form to its
    own action), swapped in place. A boosted request's URL would go into the browser's history
    and the address bar; the fragment is not a page, so it says not to."""
    return push_url(render(request, template, context), False)


def _thread_page(
    request: HttpRequest,
    thread: Thread,
    scope: CohortAccess,
    *,
    form: PostForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = thread_page_context(request, thread, scope, form=form)
    return render(request, "discussions/thread.html", context, status=status)


@login_required
@require_GET
# Never from the browser's cache (back included): moderation changes what a thread shows.
@never_cache
def thread_detail(request: HttpRequest, pk: int, thread_pk: int) -> HttpResponse:
    thread, scope = access.get_thread_for(request.user, pk, thread_pk)
    follows.thread_mark_read(thread=thread, user=request.user)
    if request.htmx:
        # "Load more replies": the next page's replies, appended, and a new load-more link.
        context = replies_context(request, thread, scope)
        return render(request, "discussions/thread.html#more-replies", context)
    return _thread_page(request, thread, scope)


def _post_or_error(form, thread: Thread, user, parent: Post | None = None) -> Post | None:
    """Post the form's text; on refusal put the reason on the form and return None."""
    if not form.is_valid():
        return None
    try:
        return posting.post_reply(
            thread=thread,
            author=user,
            body=form.cleaned_data["body"],
            parent=parent,
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except posting.PostingError as error:
        form.add_error(None, str(error))
        return None


@login_required
@require_POST
def reply(request: HttpRequest, pk: int, thread_pk: int) -> HttpResponse:
    thread, scope = access.get_thread_for(request.user, pk, thread_pk)
    sees_replies = thread.replies_seen_by(request.user, teaches=scope.can_teach)
    form = PostForm(request.POST)
    post = _post_or_error(form, thread, request.user)
    if request.htmx:
        # htmx swaps only 2xx answers: the form comes back with its error and the kept text.
        context = thread_context(thread, scope) | {"form": form, "post": post}
        if post is not None:
            # The new reply takes keyboard focus once swapped in; the form comes back empty.
            context |= {"form": PostForm(), "focused_pk": post.pk}
            if not sees_replies:
                # The first reply under "post before you see replies" reveals the others.
                context |= replies_context(request, thread, scope) | {"reveal": True}
            else:
                post.page_comments = []
                decorate_posts([post], request.user, thread=thread, access=scope)
        return render(request, "discussions/thread.html#reply-posted", context)
    if post is None:
        return _thread_page(request, thread, scope, form=form, status=400)
    return redirect(post_url(post))


def _comment_form(parent: Post, data=None, *, focus: bool = True) -> CommentForm:
    form = CommentForm(data, auto_id=f"comment-{parent.pk}-%s")
    if focus:
        # Asked for by pressing "Comment", or sent back with an error, the form takes the focus:
        # the button it replaces is gone. After a comment is posted, the new comment takes it.
        form.fields["body"].widget.attrs["autofocus"] = True
    return form


@login_required
@require_http_methods(["GET", "POST"])
def comment(request: HttpRequest, pk: int, thread_pk: int, post_pk: int) -> HttpResponse:
    """A comment under a reply. GET is the form, fetched by the reply's "Comment" button with
    htmx (or opened as a page without JavaScript); POST writes it."""
    parent, scope = access.get_post_for(request.user, pk, thread_pk, post_pk)
    thread = parent.thread
    context = thread_context(thread, scope) | {"reply": parent}
    if request.method == "GET":
        parent.comment_form = _comment_form(parent)
        try:
            posting.check_can_reply(thread=thread, parent=parent)
        except posting.PostingError as error:
            context["refusal"] = str(error)
        if request.htmx:
            return in_place(request, "discussions/thread.html#comment-form", context)
        status = 400 if "refusal" in context else 200
        return render(request, "discussions/comment_form.html", context, status=status)
    form = _comment_form(parent, request.POST)
    post = _post_or_error(form, thread, request.user, parent=parent)
    if request.htmx:
        if post is not None:
            form = _comment_form(parent, focus=False)
            decorate_posts([post], request.user, thread=thread, access=scope)
        parent.comment_form = form
        # The new comment takes keyboard focus once swapped in.
        context |= {"post": post, "focused_pk": post.pk if post else None}
        return render(request, "discussions/thread.html#comment-posted", context)
    if post is None:
        parent.comment_form = form
        return render(request, "discussions/comment_form.html", context, status=400)
    return redirect(post_url(post))


def _refused(request: HttpRequest, post: Post, error: posting.PostingError) -> HttpResponse:
    """A refused action on a post: the reason, on a page with a way back, as a 400."""
    context = {"cohort": post.thread.cohort, "thread": post.thread, "post": post, "error": error}
    return render(request, "discussions/post_refused.html", context, status=400)


def switch_on(request: HttpRequest) -> bool:
    form = SwitchForm(request.POST)
    return form.is_valid() and form.cleaned_data["on"]


@login_required
@require_POST
def react(request: HttpRequest, pk: int, thread_pk: int, post_pk: int) -> HttpResponse:
    post, scope = access.get_post_for(request.user, pk, thread_pk, post_pk)
    form = ReactionForm(request.POST)
    if not form.is_valid():
        return _refused(request, post, posting.PostingError("Choose a reaction."))
    try:
        reactions.reaction_set(
            post=post, user=request.user, kind=form.cleaned_data["kind"], on=form.cleaned_data["on"]
        )
    except posting.PostingError as error:
        return _refused(request, post, error)
    if request.htmx:
        decorate_posts([post], request.user, thread=post.thread, access=scope)
        context = thread_context(post.thread, scope) | {"p": post}
        return in_place(request, "discussions/thread.html#reactions", context)
    return redirect(post_url(post))


@login_required
@require_POST
def endorse(request: HttpRequest, pk: int, thread_pk: int, post_pk: int) -> HttpResponse:
    post, _ = access.get_post_for(request.user, pk, thread_pk, post_pk, action="teach")
    try:
        reactions.post_endorse(post=post, by=request.user, endorsed=switch_on(request))
    except posting.PostingError as error:
        return _refused(request, post, error)
    return redirect(post_url(post))


@login_required
@require_http_methods(["GET", "POST"])
def post_edit(request: HttpRequest, pk: int, thread_pk: int, post_pk: int) -> HttpResponse:
    post, _ = access.get_post_for(request.user, pk, thread_pk, post_pk)
    form = PostEditForm(
        request.POST if request.method == "POST" else None, initial={"body": post.body}
    )
    refusal = None
    try:
        posting.check_can_edit(post=post, user=request.user)
        if form.is_valid():
            posting.post_edit(post=post, user=request.user, body=form.cleaned_data["body"])
            return redirect(post_url(post))
    except posting.PostingError as error:
        refusal = str(error)
    context = {
        "cohort": post.thread.cohort,
        "thread": post.thread,
        "post": post,
        "form": form,
        "refusal": refusal,
    }
    status = 400 if refusal or form.errors else 200
    return render(request, "discussions/post_edit.html", context, status=status)


@login_required
@require_POST
def post_remove(request: HttpRequest, pk: int, thread_pk: int, post_pk: int) -> HttpResponse:
    post, scope = access.get_post_for(request.user, pk, thread_pk, post_pk)
    try:
        posting.post_remove(post=post, user=request.user, may_moderate=scope.can_teach)
    except posting.PostingError as error:
        return _refused(request, post, error)
    messages.success(request, "The post was removed.")
    return redirect(post_url(post))


# Search (the moderation views are in moderation_views.py, prompts in prompt_views.py).

SEARCH_RESULTS_PER_PAGE = 20


@login_required
@require_GET
def search(request: HttpRequest, pk: int) -> HttpResponse:
    cohort, scope = access.get_cohort_for(request.user, pk)
    form = SearchForm(request.GET)
    text = form.cleaned_data["q"] if form.is_valid() else ""
    page = None
    if text:
        results = search_posts(request.user, cohort, scope, text)
        page = Paginator(results, SEARCH_RESULTS_PER_PAGE).get_page(request.GET.get("page"))
        for post in page.object_list:
            post.link = post_link(post)
    context = scope.context(
        cohort, form=form, q=text, page=page, pager_query=urlencode({"q": text})
    )
    template = "discussions/search.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context, status=400 if form.errors else 200)


# Mentions and following.


def _mention_options(request: HttpRequest, space: access.Space) -> HttpResponse:
    people = mentions.mention_suggestions(
        space=space, prefix=request.GET.get("q", ""), exclude=request.user
    )
    return render(request, "discussions/mention_options.html", {"people": people})


@login_required
@require_GET
def thread_mention_options(request: HttpRequest, pk: int, thread_pk: int) -> HttpResponse:
    """Up to 8 people who see the thread, for the @mention autocomplete of its reply forms."""
    thread, _ = access.get_thread_for(request.user, pk, thread_pk)
    return _mention_options(request, access.space_of(thread))


@login_required
@require_GET
def space_mention_options(
    request: HttpRequest, pk: int, group_pk: int | None = None
) -> HttpResponse:
    """The same for a new thread of a space."""
    space, _ = access.get_space_for(request.user, pk, group_pk)
    return _mention_options(request, space)


@login_required
@require_POST
def thread_follow(request: HttpRequest, pk: int, thread_pk: int) -> HttpResponse:
    thread, _ = access.get_thread_for(request.user, pk, thread_pk)
    following = follows.thread_follow(thread=thread, user=request.user, on=switch_on(request))
    if request.htmx:
        context = {"cohort": thread.cohort, "thread": thread, "following": following}
        return render(request, "discussions/follow_button.html", context)
    messages.success(
        request,
        "You follow this thread: you will hear of new replies."
        if following
        else "You no longer follow this thread.",
    )
    return redirect(thread.get_absolute_url())
