"""Telling people of a post: its thread's link and topic, the excerpt, the `post_fanout` job."""

from __future__ import annotations

import html

from django.utils.html import strip_tags

from accounts.models import User
from cohorts.access import people_who_see
from discussions.models import Follow, Mention, Post
from discussions.rendering import MENTION_PATTERN
from notifications.models import EmailKind
from notifications.services import Notice, notify_many
from socialtraining.markdown import render_markdown

POST_FANOUT_JOB = "post_fanout"
EXCERPT_CHARS = 300


def thread_topic(thread_id: int) -> str:
    """What bundles and digests group a thread's notifications by."""
    return f"thread:{thread_id}"


def plain_text(body: str) -> str:
    """A post's text as a reader sees it, without markup (for emails' plain-text parts)."""
    body = MENTION_PATTERN.sub(lambda match: f"@{match.group(1)}", body or "")
    return " ".join(html.unescape(strip_tags(render_markdown(body))).split())


def post_excerpt(body: str) -> str:
    """The post's text as a reader sees it, cut at EXCERPT_CHARS."""
    text = plain_text(body)
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"


def post_notice(post: Post, person: User, *, kind: str, title: str, excerpt: str) -> Notice:
    thread = post.thread
    return Notice(
        user=person,
        key=f"{'mention' if kind == EmailKind.MENTION else 'reply'}:{post.pk}",
        kind=kind,
        title=title,
        url=f"{thread.get_absolute_url()}#post-{post.pk}",
        topic_key=thread_topic(thread.pk),
        topic_title=thread.title,
        actor_name=post.author.name if post.author_id else "",
        excerpt=excerpt,
    )


def posts_fan_out(jobs: list) -> dict:
    """Work of the `post_fanout` jobs: tell each new post's mentioned people and its thread's
    followers, in a few queries per post whatever their number.

    Followers are re-checked against the space: someone moved out of a study group (or out of
    the cohort) keeps the Follow row but hears nothing more. A follower who is also mentioned
    hears once, by the more personal notification.
    """
    posts = Post.objects.select_related("thread__cohort", "thread__study_group", "author")
    for post in posts.filter(pk__in=[job.target_id for job in jobs]):
        if post.removed_at or post.hidden_at:
            continue
        thread = post.thread
        excerpt = post_excerpt(post.body)
        mentioned = list(
            people_who_see(thread.cohort, thread.study_group)
            .filter(pk__in=Mention.objects.filter(post=post).values("user_id"))
            .select_related("notification_preference")
        )
        followers = (
            people_who_see(thread.cohort, thread.study_group)
            .filter(pk__in=Follow.objects.filter(thread=thread).values("user_id"))
            .exclude(pk=post.author_id)
            .exclude(pk__in=[person.pk for person in mentioned])
            .select_related("notification_preference")
        )
        author = post.author.name if post.author_id else "Someone"
        what = "commented in" if post.parent_id else "replied to"
        notify_many(
            [
                post_notice(
                    post,
                    person,
                    kind=EmailKind.MENTION,
                    title=f"{author} mentioned you in “{thread.title}”",
                    excerpt=excerpt,
                )
                for person in mentioned
            ]
            + [
                post_notice(
                    post,
                    person,
                    kind=EmailKind.REPLY,
                    title=f"{author} {what} “{thread.title}”",
                    excerpt=excerpt,
                )
                for person in followers
            ]
        )
    return {}
