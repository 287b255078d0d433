"""Starting threads and replying: idempotency, locks, one level of comments, rate limit, follows."""

import pytest

from discussions import posting
from discussions.models import Channel, Follow, Post, Thread
from notifications.models import Notification
from tests.discussions.conftest import key


def test_it_starts_a_thread_with_its_opening_post_followed_by_the_author(world, thread):
    opening = Post.objects.get(thread=thread)
    assert opening.is_opening and opening.kind == "discussion"
    assert opening.body == "Tell us about a time."
    assert Follow.objects.filter(thread=thread, user=world.instructor).exists()


def test_it_makes_one_post_for_a_repeated_key(world, thread):
    same = key()
    first = posting.post_reply(
        thread=thread, author=world.participant, body="Hi", idempotency_key=same
    )
    second = posting.post_reply(
        thread=thread, author=world.participant, body="Hi", idempotency_key=same
    )
    assert first.pk == second.pk
    assert Post.objects.filter(thread=thread, is_opening=False).count() == 1
    thread.refresh_from_db()
    assert thread.reply_count == 1


def test_it_makes_one_thread_for_a_repeated_key(world):
    same = key()
    kwargs = dict(
        cohort=world.cohort,
        study_group=None,
        author=world.participant,
        kind="question",
        title="Q",
        body="Why?",
        idempotency_key=same,
    )
    assert posting.thread_start(**kwargs).pk == posting.thread_start(**kwargs).pk
    assert Thread.objects.count() == 1


def test_it_counts_replies_and_moves_last_activity(world, thread, reply_to):
    before = thread.last_activity_at
    reply_to(thread)
    thread.refresh_from_db()
    assert thread.reply_count == 1
    assert thread.last_activity_at > before


def test_it_refuses_a_reply_to_a_locked_thread(world, thread, reply_to):
    Thread.objects.filter(pk=thread.pk).update(locked=True)
    thread.refresh_from_db()
    with pytest.raises(posting.PostingError, match="locked"):
        reply_to(thread)
    assert not Post.objects.filter(thread=thread, is_opening=False).exists()


def test_it_allows_comments_one_level_deep_only(world, thread, reply_to):
    reply = reply_to(thread)
    comment = reply_to(thread, parent=reply, body="A comment")
    assert comment.kind == "comment" and comment.parent == reply
    with pytest.raises(posting.PostingError, match="Comments go under a reply"):
        reply_to(thread, parent=comment)
    opening = Post.objects.get(thread=thread, is_opening=True)
    with pytest.raises(posting.PostingError):
        reply_to(thread, parent=opening)


def test_it_refuses_a_comment_under_a_reply_of_another_thread(world, start_thread, reply_to):
    first, second = start_thread(title="One"), start_thread(title="Two")
    with pytest.raises(posting.PostingError):
        reply_to(second, parent=reply_to(first))


def test_it_limits_posts_per_person(world, thread, reply_to, settings):
    settings.POST_RATE_LIMIT = "3/10m"
    for _ in range(3):
        reply_to(thread)
    with pytest.raises(posting.PostingError, match="limit of 3 posts in 10 minutes"):
        reply_to(thread)
    # Someone else may still post.
    reply_to(thread, author=world.groupmate)


def test_it_notifies_followers_but_not_the_author(world, thread, reply_to, deliver):
    reply_to(thread, author=world.participant)
    post = reply_to(thread, author=world.groupmate)
    deliver()
    notified = set(
        Notification.objects.filter(key=f"reply:{post.pk}").values_list("user", flat=True)
    )
    # The instructor started it, the participant replied (and so follows); the groupmate wrote it.
    assert notified == {world.instructor.pk, world.participant.pk}
    assert Follow.objects.filter(thread=thread, user=world.groupmate).exists()


def test_it_notifies_nobody_who_does_not_follow(world, thread, reply_to):
    post = reply_to(thread, author=world.participant)
    assert not Notification.objects.filter(key=f"reply:{post.pk}", user=world.manager).exists()


@pytest.mark.parametrize(
    ("kind", "in_group", "channel"),
    [
        ("article", False, Channel.RESEARCH),
        ("question", False, Channel.CREATING),
        ("discussion", False, Channel.CREATING),
        ("article", True, Channel.COLLABORATION),
        ("question", True, Channel.COLLABORATION),
    ],
)
def test_it_classifies_opening_posts_into_channels(world, start_thread, kind, in_group, channel):
    thread = start_thread(
        kind=kind, study_group=world.group if in_group else None, url="https://example.com/a"
    )
    assert Post.objects.get(thread=thread).channel == channel


def test_it_classifies_replies_and_comments(world, start_thread, reply_to):
    cohort_reply = reply_to(start_thread())
    assert cohort_reply.channel == Channel.COMMUNICATION
    assert reply_to(cohort_reply.thread, parent=cohort_reply).channel == Channel.COMMUNICATION
    group_reply = reply_to(start_thread(study_group=world.group))
    assert group_reply.channel == Channel.COLLABORATION


def test_it_refuses_a_thread_kind_that_is_not_an_opening(world):
    with pytest.raises(ValueError):
        posting.thread_start(
            cohort=world.cohort,
            study_group=None,
            author=world.participant,
            kind="reply",
            title="x",
            body="y",
            idempotency_key=key(),
        )
