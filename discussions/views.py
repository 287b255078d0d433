from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import push_url

from discussions import access, follows, mentions, moderation, posting, prompts, reactions
from discussions.forms import (
    CommentForm,
    FlagForm,
    PostEditForm,
    PostForm,
    PromptForm,
    PromptNewForm,
    ReactionForm,
    SearchForm,
    SwitchForm,
    ThreadForm,
)
from discussions.models import (
    Anchor,
    Post,
    PostKind,
    Prompt,
    Reaction,
    ReactionKind,
    ScheduleError,
    Thread,
)
from discussions.search import search_posts
from notifications.scheduling import DueStatus
from socialtraining import clock

THREADS_PER_PAGE = 30
REPLIES_PER_PAGE = 50
FEED_SORTS = {
    "latest": ("-pinned", "-last_activity_at", "-pk"),
    "newest": ("-pinned", "-created_at", "-pk"),
    "reactions": ("-pinned", "-reaction_count", "-last_activity_at", "-pk"),
}


@login_required
@require_GET
def space_feed(request: HttpRequest, pk: int, group_pk: int | None = None) -> HttpResponse:
    space = access.get_space_for(request.user, pk, group_pk)
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
    context = {"cohort": space.cohort, "space": space, "form": form}
    return render(
        request, "discussions/thread_new.html", context, status=400 if form.errors else 200
    )


@dataclass(frozen=True)
class ReactionButton:
    kind: str
    label: str
    count: int
    mine: bool

    @property
    def pressed(self) -> str:
        return "true" if self.mine else "false"


def _in_place(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """A fragment for a boosted control of the thread page (hx-boost: htmx sends a form to its
    own action), swapped in place. A boosted request's URL would go into the browser's history
    and the address bar; the fragment is not a page, so it says not to."""
    return push_url(render(request, template, context), False)


def _thread_context(thread: Thread) -> dict:
    """What every fragment of the thread page needs: the thread, its cohort, and `posts_url`.

    A post's links are `posts_url` + `<id>/<action>/`: one reverse() for the page rather than
    several per post (tests/discussions/test_thread_page.py holds them to the URLconf).
    """
    return {
        "cohort": thread.cohort,
        "thread": thread,
        "posts_url": f"{thread.get_absolute_url()}posts/",
    }


def _decorate(posts: list[Post], user, *, thread: Thread) -> None:
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
    may_moderate = thread.cohort.access.can_teach
    now = clock.now()
    posts_url = f"{thread.get_absolute_url()}posts/"
    for post in posts:
        post.thread = thread
        # The post's links are this plus an action: no reverse() per post.
        post.url = f"{posts_url}{post.pk}/"
        shown = not (post.removed_at or post.hidden_at)
        post.reaction_buttons = [
            ReactionButton(kind, label, counts.get((post.pk, kind), 0), (post.pk, kind) in mine)
            for kind, label in ReactionKind.choices
        ]
        # The reaction form's "on": the kinds whose button adds (the others take back).
        post.reactions_to_add = " ".join(b.kind for b in post.reaction_buttons if not b.mine)
        post.can_react = shown
        post.can_edit = shown and post.author_id == user.pk and now <= post.editable_until()
        post.can_remove = not post.removed_at and (post.author_id == user.pk or may_moderate)
        post.can_endorse = shown and may_moderate and post.kind == PostKind.REPLY
        post.can_flag = not post.removed_at and post.author_id != user.pk
        post.can_spark = may_moderate and not post.removed_at
        # Instructors' and managers' tools for a post come on demand ("Moderate", post_moderate).
        post.moderate_on_demand = may_moderate and not post.removed_at


def _replies_context(request: HttpRequest, thread: Thread, *, with_opening: bool = False) -> dict:
    """The page of replies `request.user` may see, with their comments, reactions and actions;
    and the opening post too when `with_opening` (the full page), in the comments' query.

    Under "post before you see replies" a participant who has not replied sees only how many
    replies wait for them: the same rule holds for the full page, load-more and htmx fragments.
    Comment forms are not built here: a reply's "Comment" button fetches one (`comment`).
    """
    replies = Post.objects.filter(thread=thread, is_opening=False, parent__isnull=True)
    sees_replies = access.sees_replies(request.user, thread)
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
    _decorate([opening, *shown_posts] if opening else shown_posts, request.user, thread=thread)
    return _thread_context(thread) | {
        "opening": opening,
        "page": page,
        "replies": page_replies,
        "sees_replies": sees_replies,
        "hidden_replies": 0 if sees_replies else replies.count(),
        # The thread counts every post under the opening one; the feed says the same.
        "comments": max(0, thread.reply_count - page.paginator.count) if sees_replies else 0,
    }


def thread_page_context(
    request: HttpRequest, thread: Thread, *, form: PostForm | None = None
) -> dict:
    """Everything the thread page shows, loaded (`make bench` renders it again from memory)."""
    context = _replies_context(request, thread, with_opening=True)
    return context | {
        "space": access.space_of(thread),
        "form": form or PostForm(),
        "following": follows.thread_is_followed(thread=thread, user=request.user),
    }


def _thread_page(
    request: HttpRequest, thread: Thread, *, form: PostForm | None = None, status: int = 200
) -> HttpResponse:
    context = thread_page_context(request, thread, form=form)
    return render(request, "discussions/thread.html", context, status=status)


@login_required
@require_GET
# Never from the browser's cache (back included): moderation changes what a thread shows.
@never_cache
def thread_detail(request: HttpRequest, pk: int, thread_pk: int) -> HttpResponse:
    thread = access.get_thread_for(request.user, pk, thread_pk)
    follows.thread_mark_read(thread=thread, user=request.user)
    if request.htmx:
        # "Load more replies": the next page's replies, appended, and a new load-more link.
        context = _replies_context(request, thread)
        return render(request, "discussions/thread.html#more-replies", context)
    return _thread_page(request, thread)


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


def _post_url(post: Post) -> str:
    """Where a post is: its thread's page of replies that holds it (or its parent reply)."""
    url = post.thread.get_absolute_url()
    if post.is_opening:
        return f"{url}#post-{post.pk}"
    reply = post.parent if post.parent_id else post
    before = (
        Post.objects.filter(thread_id=post.thread_id, is_opening=False, parent__isnull=True)
        .filter(
            Q(created_at__lt=reply.created_at) | Q(created_at=reply.created_at, pk__lte=reply.pk)
        )
        .count()
    )
    return f"{url}?page={max(1, -(-before // REPLIES_PER_PAGE))}#post-{post.pk}"


@login_required
@require_POST
def reply(request: HttpRequest, pk: int, thread_pk: int) -> HttpResponse:
    thread = access.get_thread_for(request.user, pk, thread_pk)
    sees_replies = access.sees_replies(request.user, thread)
    form = PostForm(request.POST)
    post = _post_or_error(form, thread, request.user)
    if request.htmx:
        # htmx swaps only 2xx answers: the form comes back with its error and the kept text.
        context = _thread_context(thread) | {"form": form, "post": post}
        if post is not None:
            # The new reply takes keyboard focus once swapped in; the form comes back empty.
            context |= {"form": PostForm(), "focused_pk": post.pk}
            if not sees_replies:
                # The first reply under "post before you see replies" reveals the others.
                context |= _replies_context(request, thread) | {"reveal": True}
            else:
                post.page_comments = []
                _decorate([post], request.user, thread=thread)
        return render(request, "discussions/thread.html#reply-posted", context)
    if post is None:
        return _thread_page(request, thread, form=form, status=400)
    return redirect(_post_url(post))


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
    parent = access.get_post_for(request.user, pk, thread_pk, post_pk)
    thread = parent.thread
    context = _thread_context(thread) | {"reply": parent}
    if request.method == "GET":
        parent.comment_form = _comment_form(parent)
        try:
            posting.check_can_reply(thread=thread, parent=parent)
        except posting.PostingError as error:
            context["refusal"] = str(error)
        if request.htmx:
            return _in_place(request, "discussions/thread.html#comment-form", context)
        status = 400 if "refusal" in context else 200
        return render(request, "discussions/comment_form.html", context, status=status)
    form = _comment_form(parent, request.POST)
    post = _post_or_error(form, thread, request.user, parent=parent)
    if request.htmx:
        if post is not None:
            form = _comment_form(parent, focus=False)
            _decorate([post], request.user, thread=thread)
        parent.comment_form = form
        # The new comment takes keyboard focus once swapped in.
        context |= {"post": post, "focused_pk": post.pk if post else None}
        return render(request, "discussions/thread.html#comment-posted", context)
    if post is None:
        parent.comment_form = form
        return render(request, "discussions/comment_form.html", context, status=400)
    return redirect(_post_url(post))


def _refused(request: HttpRequest, post: Post, error: posting.PostingError) -> HttpResponse:
    """A refused action on a post: the reason, on a page with a way back, as a 400."""
    context = {"cohort": post.thread.cohort, "thread": post.thread, "post": post, "error": error}
    return render(request, "discussions/post_refused.html", context, status=400)


def _switch(request: HttpRequest) -> bool:
    form = SwitchForm(request.POST)
    return form.is_valid() and form.cleaned_data["on"]


@login_required
@require_POST
def react(request: HttpRequest, pk: int, thread_pk: int, post_pk: int) -> HttpResponse:
    post = access.get_post_for(request.user, pk, thread_pk, post_pk)
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
        _decorate([post], request.user, thread=post.thread)
        context = _thread_context(post.thread) | {"p": post}
        return _in_place(request, "discussions/thread.html#reactions", context)
    return redirect(_post_url(post))


@login_required
@require_GET
def post_moderate(request: HttpRequest, pk: int, thread_pk: int, post_pk: int) -> HttpResponse:
    """A post's tools for instructors and managers (endorse, remove, flag, turn into a spark),
    asked for by its "Moderate" button: in place with htmx, or as a page without JavaScript."""
    post = access.get_post_for(request.user, pk, thread_pk, post_pk, action="teach")
    _decorate([post], request.user, thread=post.thread)
    context = _thread_context(post.thread) | {"p": post}
    if request.htmx:
        return _in_place(request, "discussions/thread.html#moderation-tools", context)
    return render(request, "discussions/post_moderate.html", context)


@login_required
@require_POST
def endorse(request: HttpRequest, pk: int, thread_pk: int, post_pk: int) -> HttpResponse:
    post = access.get_post_for(request.user, pk, thread_pk, post_pk, action="teach")
    try:
        reactions.post_endorse(post=post, by=request.user, endorsed=_switch(request))
    except posting.PostingError as error:
        return _refused(request, post, error)
    return redirect(_post_url(post))


@login_required
@require_POST
def thread_pin(request: HttpRequest, pk: int, thread_pk: int) -> HttpResponse:
    thread = access.get_thread_for(request.user, pk, thread_pk, action="teach")
    moderation.thread_pin(thread=thread, pinned=_switch(request))
    messages.success(request, "Pinned to the top." if thread.pinned else "Unpinned.")
    return redirect(thread.get_absolute_url())


@login_required
@require_POST
def thread_lock(request: HttpRequest, pk: int, thread_pk: int) -> HttpResponse:
    thread = access.get_thread_for(request.user, pk, thread_pk, action="teach")
    moderation.thread_lock(thread=thread, locked=_switch(request))
    messages.success(
        request, "Locked: no new replies." if thread.locked else "Unlocked: replies are open."
    )
    return redirect(thread.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def post_edit(request: HttpRequest, pk: int, thread_pk: int, post_pk: int) -> HttpResponse:
    post = access.get_post_for(request.user, pk, thread_pk, post_pk)
    form = PostEditForm(
        request.POST if request.method == "POST" else None, initial={"body": post.body}
    )
    refusal = None
    try:
        posting.check_can_edit(post=post, user=request.user)
        if form.is_valid():
            posting.post_edit(post=post, user=request.user, body=form.cleaned_data["body"])
            return redirect(_post_url(post))
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
    post = access.get_post_for(request.user, pk, thread_pk, post_pk)
    try:
        posting.post_remove(
            post=post, user=request.user, may_moderate=post.thread.cohort.access.can_teach
        )
    except posting.PostingError as error:
        return _refused(request, post, error)
    messages.success(request, "The post was removed.")
    return redirect(_post_url(post))


# Moderation and search.

SEARCH_RESULTS_PER_PAGE = 20
QUEUE_ITEMS_PER_PAGE = 20
MODERATION_ACTIONS = {
    "hide": (moderation.post_hide, "The post is hidden from members."),
    "restore": (moderation.post_restore, "The post is visible again; its author has been told."),
    "dismiss": (moderation.flags_dismiss, "The flags are dismissed; the post stays as it is."),
}


def _post_link(post: Post) -> str:
    """The post on its page of the thread: opening posts on page one, others where they sit."""
    url = post.thread.get_absolute_url()
    if post.is_opening:
        return f"{url}#post-{post.pk}"
    return f"{url}?page={post.replies_before // REPLIES_PER_PAGE + 1}#post-{post.pk}"


@login_required
@require_http_methods(["GET", "POST"])
def post_flag(request: HttpRequest, pk: int, thread_pk: int, post_pk: int) -> HttpResponse:
    post = access.get_post_for(request.user, pk, thread_pk, post_pk)
    form = FlagForm(request.POST if request.method == "POST" else None)
    context = {"cohort": post.thread.cohort, "thread": post.thread, "post": post, "form": form}
    context["in_place"] = bool(request.htmx)
    if request.htmx and request.method == "GET" and "cancel" in request.GET:
        # Cancel, in the thread: the Flag button comes back where the form was.
        return _in_place(request, "discussions/flag_form.html#flag-button", context)
    try:
        moderation.check_can_flag(post=post, user=request.user)
        if form.is_valid():
            moderation.post_flag(post=post, user=request.user, reason=form.reason_text())
            if request.htmx:
                return render(request, "discussions/flag_form.html#flag-done", context)
            messages.success(request, "Thank you. A moderator will review the post.")
            return redirect(f"{post.thread.get_absolute_url()}#post-{post.pk}")
    except moderation.ModerationError as error:
        context["refusal"] = str(error)
    if request.htmx:
        # htmx swaps only 2xx answers: the refusal or the form's errors come back in place.
        return _in_place(request, "discussions/flag_form.html#flag-form", context)
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
        results = search_posts(request.user, cohort, text)
        page = Paginator(results, SEARCH_RESULTS_PER_PAGE).get_page(request.GET.get("page"))
        for post in page.object_list:
            post.link = _post_link(post)
    context = {"cohort": cohort, "form": form, "q": text, "page": page}
    template = "discussions/search.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context, status=400 if form.errors else 200)


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
    except prompts.PromptError as error:
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
        form = PromptNewForm(request.POST if request.method == "POST" else None)

        def create(**data) -> Prompt:
            return prompts.prompt_create(cohort=cohort, author=request.user, **data)

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
        saved = _prompt_saved(form, lambda **data: prompts.prompt_update(prompt=prompt, **data))
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
    except prompts.PromptError as refusal:
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
        request, prompt, prompts.prompt_cancel, "“{title}” is cancelled; it will not be released."
    )


@login_required
@require_POST
def prompt_publish(request: HttpRequest, pk: int, prompt_pk: int) -> HttpResponse:
    prompt = access.get_prompt_for(request.user, pk, prompt_pk)
    return _prompt_changed(
        request, prompt, prompts.prompt_publish_now, "“{title}” is being published now."
    )


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
    thread = access.get_thread_for(request.user, pk, thread_pk)
    return _mention_options(request, access.space_of(thread))


@login_required
@require_GET
def space_mention_options(
    request: HttpRequest, pk: int, group_pk: int | None = None
) -> HttpResponse:
    """The same for a new thread of a space."""
    return _mention_options(request, access.get_space_for(request.user, pk, group_pk))


@login_required
@require_POST
def thread_follow(request: HttpRequest, pk: int, thread_pk: int) -> HttpResponse:
    thread = access.get_thread_for(request.user, pk, thread_pk)
    following = follows.thread_follow(thread=thread, user=request.user, on=_switch(request))
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
