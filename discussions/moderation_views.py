"""Moderating a cohort's discussions: a post's tools, pinning and locking threads, flags and the
moderation queue."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from discussions import access, moderation
from discussions.forms import FlagForm
from discussions.thread_page import decorate_posts, post_link, thread_context
from discussions.views import in_place, switch_on


@login_required
@require_GET
def post_moderate(request: HttpRequest, pk: int, thread_pk: int, post_pk: int) -> HttpResponse:
    """A post's tools for instructors and managers (endorse, remove, flag, turn into a spark),
    asked for by its "Moderate" button: in place with htmx, or as a page without JavaScript."""
    post, scope = access.get_post_for(request.user, pk, thread_pk, post_pk, action="teach")
    decorate_posts([post], request.user, thread=post.thread, access=scope)
    context = thread_context(post.thread, scope) | {"p": post}
    if request.htmx:
        return in_place(request, "discussions/thread.html#moderation-tools", context)
    return render(request, "discussions/post_moderate.html", context)


@login_required
@require_POST
def thread_pin(request: HttpRequest, pk: int, thread_pk: int) -> HttpResponse:
    thread, _ = access.get_thread_for(request.user, pk, thread_pk, action="teach")
    moderation.thread_pin(thread=thread, pinned=switch_on(request))
    messages.success(request, "Pinned to the top." if thread.pinned else "Unpinned.")
    return redirect(thread.get_absolute_url())


@login_required
@require_POST
def thread_lock(request: HttpRequest, pk: int, thread_pk: int) -> HttpResponse:
    thread, _ = access.get_thread_for(request.user, pk, thread_pk, action="teach")
    moderation.thread_lock(thread=thread, locked=switch_on(request))
    messages.success(
        request, "Locked: no new replies." if thread.locked else "Unlocked: replies are open."
    )
    return redirect(thread.get_absolute_url())


QUEUE_ITEMS_PER_PAGE = 20
MODERATION_ACTIONS = {
    "hide": (moderation.post_hide, "The post is hidden from members."),
    "restore": (moderation.post_restore, "The post is visible again; its author has been told."),
    "dismiss": (moderation.flags_dismiss, "The flags are dismissed; the post stays as it is."),
}


@login_required
@require_http_methods(["GET", "POST"])
def post_flag(request: HttpRequest, pk: int, thread_pk: int, post_pk: int) -> HttpResponse:
    post, scope = access.get_post_for(request.user, pk, thread_pk, post_pk)
    form = FlagForm(request.POST if request.method == "POST" else None)
    context = thread_context(post.thread, scope) | {"post": post, "form": form}
    context["in_place"] = bool(request.htmx)
    if request.htmx and request.method == "GET" and "cancel" in request.GET:
        # Cancel, in the thread: the Flag button comes back where the form was.
        return in_place(request, "discussions/flag_form.html#flag-button", context)
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
        return in_place(request, "discussions/flag_form.html#flag-form", context)
    failed = request.method == "POST" and ("refusal" in context or form.errors)
    return render(request, "discussions/flag_form.html", context, status=400 if failed else 200)


@login_required
@require_GET
def moderation_queue(request: HttpRequest, pk: int) -> HttpResponse:
    cohort, scope = access.get_cohort_for(request.user, pk, "teach")
    page = Paginator(moderation.moderation_queue(cohort), QUEUE_ITEMS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    items = list(page.object_list)
    moderation.attach_open_flags(items)
    for item in items:
        item.link = post_link(item)
    context = scope.context(cohort, page=page, items=items)
    return render(request, "discussions/moderation_queue.html", context)


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
            item.link = post_link(item)
        context = {"cohort": cohort, "item": items[0] if items else None, "done": message}
        context["post"] = post
        return render(request, "discussions/moderation_queue.html#queue-item", context)
    messages.success(request, message)
    return redirect("discussions:moderation", cohort.pk)
