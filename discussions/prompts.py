"""Prompts: scheduling, editing, cancelling, publishing now, and releasing them as threads."""

from __future__ import annotations

from datetime import datetime, time
from typing import NotRequired, TypedDict, Unpack

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from cohorts.models import Cohort, Enrolment
from cohorts.timeline import Anchor, wall_clock_kept
from discussions.fanout import plain_text, post_excerpt, thread_topic
from discussions.models import Follow, Post, Prompt, ScheduleError, Target, Thread
from discussions.rendering import post_html
from notifications import scheduling
from notifications.emails import EmailTemplate, absolute_url
from notifications.models import EmailKind
from notifications.scheduling import DueStatus
from notifications.services import Notice, notify_many, unsubscribe_label
from socialtraining import clock
from socialtraining.markdown import render_markdown


def prompt_email(prompt: Prompt, thread: Thread) -> EmailTemplate:
    """The prompt itself in the email, rendered once for everyone it goes to."""
    body_html = render_markdown(prompt.body) if prompt.body else ""
    return EmailTemplate(
        "prompt",
        {
            "kind_label": unsubscribe_label(EmailKind.PROMPT),
            "cohort_name": prompt.cohort.name,
            "group_name": thread.study_group.name if thread.study_group_id else "",
            "kind_name": prompt.get_kind_display().lower(),
            "author_name": prompt.author.name if prompt.author_id else "your instructor",
            "title": prompt.title,
            "article_url": prompt.url,
            "quote": prompt.quote,
            "body_html": body_html,
            "body_text": plain_text(prompt.body),
            "post_first": prompt.post_first,
            "url": absolute_url(thread.get_absolute_url()),
        },
    )


# People told in one go by a release: a chunk's emails go out while the next is written.
RELEASE_CHUNK = 500


def prompt_release(prompt: Prompt, *, token: str | None = None) -> list[Thread]:
    """Open the prompt's thread in the cohort space or in every study group; tell each member.

    Safe to run twice: one thread per (prompt, group) and one notification per person and thread.
    People are told RELEASE_CHUNK at a time (one `notify_many` each), with the prompt's content in
    the email, rendered once per thread. With the `token` of the due-row run releasing it, nothing
    happens if the prompt was cancelled (or taken by another run) before its first thread opened.
    """
    cohort = prompt.cohort
    groups = list(cohort.study_groups.all()) if prompt.target == Target.GROUPS else [None]
    members = (
        Enrolment.objects.filter(cohort=cohort, user__is_active=True)
        .exclude(user_id=prompt.author_id)
        .select_related("user__notification_preference")
    )
    by_group: dict[int | None, list[User]] = {}
    for enrolment in members:
        by_group.setdefault(enrolment.study_group_id, []).append(enrolment.user)
    threads = []
    for group in groups:
        thread = _thread_open(prompt, group, token=token)
        if thread is None:
            return threads
        people = (
            by_group.get(group.pk, [])
            if group
            else [user for users in by_group.values() for user in users]
        )
        # What every member is told of this thread, worked out once, not once per person.
        told = {
            "key": f"prompt:{prompt.pk}:{thread.pk}",
            "kind": EmailKind.PROMPT,
            "title": f"New in {cohort.name}: {prompt.title}",
            "url": thread.get_absolute_url(),
            "topic_key": thread_topic(thread.pk),
            "topic_title": thread.title,
            "actor_name": prompt.author.name if prompt.author_id else "",
            "excerpt": post_excerpt(prompt.body),
            "email": prompt_email(prompt, thread),
        }
        # Each chunk of people is told and committed on its own, so their emails start going out
        # while the next chunk is written; a run that dies halfway tells the rest when it runs
        # again (one notification per person and thread).
        for start in range(0, len(people), RELEASE_CHUNK):
            notify_many(
                [Notice(user=person, **told) for person in people[start : start + RELEASE_CHUNK]]
            )
        threads.append(thread)
    return threads


@transaction.atomic
def _thread_open(prompt: Prompt, group, *, token: str | None) -> Thread | None:
    """The prompt's thread in one space, with its opening post, once; None if the run holding
    `token` no longer owns the prompt. Under the prompt row's lock, as a change or cancel takes it:
    either the cancel comes first and nothing opens, or a thread exists and the cancel is refused.
    """
    if token is not None:
        ours = Prompt.objects.select_for_update().filter(
            pk=prompt.pk, run_token=token, status=DueStatus.CLAIMED
        )
        if not list(ours.values_list("pk", flat=True)):
            return None
    thread, created = Thread.objects.get_or_create(
        prompt=prompt,
        study_group=group,
        defaults={
            "cohort": prompt.cohort,
            "author": prompt.author,
            "kind": prompt.kind,
            "title": prompt.title,
            "url": prompt.url,
            "quote": prompt.quote,
            "post_first": prompt.post_first,
        },
    )
    if created:
        Post.objects.create(
            thread=thread,
            author=prompt.author,
            kind=prompt.kind,
            is_opening=True,
            body=prompt.body,
            body_html=post_html(prompt.body),
        )
        if prompt.author_id:
            Follow.objects.get_or_create(thread=thread, user_id=prompt.author_id)
    return thread


def prompt_release_step(prompt: Prompt) -> None:
    """Work of the `prompt_release` due kind, one prompt at a time (`scheduling.row_by_row`):
    `prompt_release` commits as it goes, and the row is marked done once everyone was told."""
    prompt_release(prompt, token=prompt.run_token)


class PromptError(Exception):
    """A change to a prompt refused for a reason the instructor should read."""


def _release_after_commit(prompt: Prompt) -> None:
    """Have the dispatcher release it at once after commit, as it would at the next minute.

    With the broker down the request still succeeds; the row is pending and due, so the next
    minute's dispatcher sweep releases it.
    """
    scheduling.kick("prompt_release")


def _schedule(prompt: Prompt, *, at: datetime | None, now: datetime) -> None:
    """Set `due_at` from the prompt's anchor; a chosen moment must still be ahead."""
    prompt.due_at = prompt.compute_due_at(at=at, now=now)
    if prompt.anchor != Anchor.NOW and prompt.due_at <= now:
        local = timezone.localtime(prompt.due_at, prompt.cohort.tz)
        raise ScheduleError(
            f"That is {local:%a %-d %b %Y, %H:%M} in {prompt.cohort.time_zone}, which has already "
            "passed. Choose a later time, or publish it now.",
            "at" if prompt.anchor == Anchor.AT else "offset_days",
        )


class PromptContent(TypedDict):
    """What an instructor writes and schedules for a prompt, as the create and edit forms give."""

    kind: str
    title: str
    body: str
    url: NotRequired[str]
    quote: NotRequired[str]
    target: NotRequired[str]
    post_first: NotRequired[bool]
    anchor: NotRequired[str]
    offset_days: NotRequired[int | None]
    release_time: NotRequired[time | None]


def _content_set(prompt: Prompt, content: PromptContent, *, at: datetime | None) -> None:
    """Put the content on the prompt and schedule it from its anchor (`at` for a chosen moment)."""
    prompt.kind, prompt.title, prompt.body = content["kind"], content["title"], content["body"]
    prompt.url, prompt.quote = content.get("url", ""), content.get("quote", "")
    prompt.target = content.get("target", Target.COHORT)
    prompt.post_first = content.get("post_first", False)
    prompt.anchor = content.get("anchor", Anchor.NOW)
    prompt.offset_days = content.get("offset_days") or 0
    prompt.release_time = content.get("release_time") or time(9, 0)
    _schedule(prompt, at=at, now=clock.now())


# The fields `_content_set` writes, for `save(update_fields=...)`: every key of PromptContent is a
# Prompt field of the same name.
CONTENT_FIELDS = [*PromptContent.__annotations__, "due_at"]


@transaction.atomic
def prompt_create(
    *,
    cohort: Cohort,
    author: User,
    at: datetime | None = None,
    idempotency_key: str = "",
    **content: Unpack[PromptContent],
) -> Prompt:
    """Schedule a prompt; one for "now" is released straight away by the same task.

    With an idempotency key already used by this author, the prompt made then is returned.
    """
    if idempotency_key:
        existing = Prompt.objects.filter(author=author, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    prompt = Prompt(idempotency_key=idempotency_key, cohort=cohort, author=author)
    _content_set(prompt, content, at=at)
    try:
        with transaction.atomic():
            prompt.save()
    except IntegrityError:
        # Two submits of the same form raced; the other one scheduled the prompt.
        if not idempotency_key:
            raise
        return Prompt.objects.get(author=author, idempotency_key=idempotency_key)
    if prompt.anchor == Anchor.NOW:
        _release_after_commit(prompt)
    return prompt


def _lock_for_change(prompt: Prompt, *, allowed=(DueStatus.PENDING, DueStatus.FAILED)) -> Prompt:
    """The prompt's row, locked, if its status allows the change; otherwise a PromptError.

    A release opens its first thread under the same lock (`_thread_open`), so a prompt is never
    changed or cancelled half-way through its release: once a thread exists, it is refused.
    """
    locked = Prompt.objects.select_for_update().get(pk=prompt.pk)
    locked.cohort = prompt.cohort
    releasing = locked.status == DueStatus.CLAIMED and Thread.objects.filter(prompt=locked).exists()
    if locked.status in allowed and not releasing:
        return locked
    if locked.status == DueStatus.DONE:
        raise PromptError(
            "This prompt has been released: it is a thread now, and its schedule and content can "
            "no longer change here. Edit the opening post in the thread instead."
        )
    if locked.status == DueStatus.CANCELLED:
        raise PromptError("This prompt was cancelled; it will not be released.")
    raise PromptError("This prompt is being released right now; it can no longer be changed.")


@transaction.atomic
def prompt_update(
    *, prompt: Prompt, at: datetime | None = None, **content: Unpack[PromptContent]
) -> Prompt:
    """Change an upcoming prompt's content and schedule; rescheduling recomputes `due_at`."""
    locked = _lock_for_change(prompt)
    _content_set(locked, content, at=at)
    # A failed prompt that is edited gets a fresh start.
    locked.status, locked.attempts, locked.last_error = DueStatus.PENDING, 0, ""
    locked.save(update_fields=[*CONTENT_FIELDS, "status", "attempts", "last_error"])
    if locked.anchor == Anchor.NOW:
        _release_after_commit(locked)
    return locked


@transaction.atomic
def prompt_cancel(*, prompt: Prompt) -> Prompt:
    """Cancel a prompt not yet released; a claimed one is skipped by its release task."""
    locked = _lock_for_change(
        prompt, allowed=(DueStatus.PENDING, DueStatus.CLAIMED, DueStatus.FAILED)
    )
    locked.status, locked.claimed_until = DueStatus.CANCELLED, None
    locked.save(update_fields=["status", "claimed_until"])
    return locked


@transaction.atomic
def prompt_publish_now(*, prompt: Prompt) -> Prompt:
    """Release an upcoming (or failed) prompt now, through the same task as the dispatcher."""
    locked = _lock_for_change(prompt)
    # Anchored to "now" from here on, so a later change of the sessions does not move it back.
    locked.anchor, locked.due_at = Anchor.NOW, clock.now()
    locked.status, locked.attempts, locked.last_error = DueStatus.PENDING, 0, ""
    locked.save(update_fields=["anchor", "due_at", "status", "attempts", "last_error"])
    _release_after_commit(locked)
    return locked


def prompts_follow_schedule(*, cohort: Cohort, previous_time_zone: str) -> int:
    """Recompute the due time of the cohort's pending prompts after its sessions or zone changed.

    Registered with cohorts.hooks and called inside cohort_update's transaction. Offset prompts
    follow the sessions; a prompt at a fixed local date and time keeps its wall-clock time in a
    new time zone (cohorts.timeline's one decision for prompts, rounds and sparks). A prompt whose
    anchor session is gone keeps its last due time (the timeline warns). Rows already tried
    (attempts > 0) are in their retry backoff and keep it.
    """
    prompts = list(
        Prompt.objects.select_for_update()
        .filter(cohort=cohort, status=DueStatus.PENDING, attempts=0)
        .exclude(anchor=Anchor.NOW)
    )
    zone_changed = previous_time_zone != cohort.time_zone
    changed = []
    for prompt in prompts:
        prompt.cohort = cohort
        try:
            if prompt.is_offset:
                due_at = prompt.compute_due_at()
            elif zone_changed:
                due_at = prompt.compute_due_at(
                    at=wall_clock_kept(prompt.due_at, previous_time_zone, cohort)
                )
            else:
                continue
        except ScheduleError:
            continue
        if due_at != prompt.due_at:
            prompt.due_at = due_at
            changed.append(prompt)
    Prompt.objects.bulk_update(changed, ["due_at"])
    return len(changed)
