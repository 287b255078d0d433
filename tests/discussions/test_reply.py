"""Replying and commenting: inline with htmx, with a full-page fallback, once per key."""

import re

from discussions.models import Post, Thread
from notifications.models import Notification


def _reply_url(world, thread):
    return f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/reply/"


def _comment_url(world, thread, post):
    return f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/posts/{post.pk}/comment/"


HTMX = {"HX-Request": "true"}


def test_it_replies_without_javascript_and_goes_to_the_reply(world, client_for, thread):
    response = client_for(world.participant).post(
        _reply_url(world, thread), {"body": "I agree", "idempotency_key": "k1"}
    )
    post = Post.objects.get(thread=thread, is_opening=False)
    assert (
        response["Location"]
        == f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/?page=1#post-{post.pk}"
    )
    assert post.body == "I agree" and post.author == world.participant


def test_it_replies_inline_with_htmx(world, client_for, thread):
    response = client_for(world.participant).post(
        _reply_url(world, thread),
        {"body": "Inline **reply**", "idempotency_key": "k1"},
        headers=HTMX,
    )
    body = response.content.decode()
    post = Post.objects.get(thread=thread, is_opening=False)
    assert "<html" not in body
    # A cleared form with a new key replaces the old one, and the reply joins the list.
    assert body.lstrip().startswith('<form id="reply-form"')
    assert 'value="k1"' not in body
    assert re.search(r'<textarea name="body"[^>]*id="id_body">\s*</textarea>', body)
    assert 'hx-swap-oob="beforeend:#replies"' in body
    assert f'id="post-{post.pk}"' in body and "<strong>reply</strong>" in body


def test_it_keeps_the_text_when_the_htmx_reply_is_refused(world, client_for, thread):
    Thread.objects.filter(pk=thread.pk).update(locked=True)
    response = client_for(world.participant).post(
        _reply_url(world, thread),
        {"body": "My careful words", "idempotency_key": "k1"},
        headers=HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "This thread is locked" in body and "My careful words" in body
    assert 'value="k1"' in body
    assert "hx-swap-oob" not in body
    assert not Post.objects.filter(thread=thread, is_opening=False).exists()


def test_it_keeps_the_text_when_the_full_page_reply_is_refused(
    world, client_for, thread, settings, reply_to
):
    settings.POST_RATE_LIMIT = "1/10m"
    reply_to(thread, author=world.participant)
    response = client_for(world.participant).post(
        _reply_url(world, thread), {"body": "Second thoughts", "idempotency_key": "k2"}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "You have reached the limit of 1 posts in 10 minutes." in body
    assert "Second thoughts" in body


def test_it_makes_one_reply_of_a_double_click(world, client_for, thread):
    client = client_for(world.participant)
    for _ in range(2):
        client.post(
            _reply_url(world, thread), {"body": "Twice?", "idempotency_key": "same"}, headers=HTMX
        )
    assert Post.objects.filter(thread=thread, is_opening=False).count() == 1
    thread.refresh_from_db()
    assert thread.reply_count == 1


def test_it_refuses_an_empty_reply(world, client_for, thread):
    response = client_for(world.participant).post(
        _reply_url(world, thread), {"idempotency_key": "k"}
    )
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_it_notifies_the_thread_author_of_a_reply(world, client_for, thread, deliver):
    client_for(world.participant).post(
        _reply_url(world, thread), {"body": "Hi", "idempotency_key": "k"}
    )
    # After the response: the request itself told nobody.
    assert not Notification.objects.exists()
    deliver()
    notification = Notification.objects.get(user=world.instructor)
    assert notification.title.endswith("replied to “How do you say no?”")
    assert not Notification.objects.filter(user=world.participant).exists()


def test_it_comments_under_a_reply_inline(world, client_for, thread, reply_to):
    reply = reply_to(thread, author=world.groupmate)
    response = client_for(world.participant).post(
        _comment_url(world, thread, reply),
        {"body": "Good point", "idempotency_key": "c1"},
        headers=HTMX,
    )
    body = response.content.decode()
    comment = Post.objects.get(parent=reply)
    assert body.lstrip().startswith(f'<form id="comment-form-{reply.pk}"')
    assert f'hx-swap-oob="beforeend:#comments-{reply.pk}"' in body and "Good point" in body
    assert comment.kind == "comment" and comment.author == world.participant


def test_it_comments_without_javascript(world, client_for, thread, reply_to):
    reply = reply_to(thread, author=world.groupmate)
    response = client_for(world.participant).post(
        _comment_url(world, thread, reply), {"body": "Good point", "idempotency_key": "c1"}
    )
    comment = Post.objects.get(parent=reply)
    assert response["Location"].endswith(f"#post-{comment.pk}")


def test_it_refuses_a_comment_under_a_comment(world, client_for, thread, reply_to):
    reply = reply_to(thread)
    comment = reply_to(thread, parent=reply)
    response = client_for(world.participant).post(
        _comment_url(world, thread, comment), {"body": "Deeper", "idempotency_key": "c2"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Comments go under a reply of this thread." in body and "Deeper" in body
    assert not Post.objects.filter(parent=comment).exists()


def test_it_enforces_csrf_on_replies(world, client_for, thread):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.participant, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        _reply_url(world, thread), {"body": "x", "idempotency_key": "k"}, headers=HTMX
    )
    assert response.status_code == 403
    assert not Post.objects.filter(thread=thread, is_opening=False).exists()


def test_it_hands_focus_to_the_new_reply_and_announces_it(world, client_for, thread):
    body = (
        client_for(world.participant)
        .post(_reply_url(world, thread), {"body": "Mine", "idempotency_key": "k1"}, headers=HTMX)
        .content.decode()
    )
    post = Post.objects.get(thread=thread, is_opening=False)
    # htmx focuses the element marked autofocus once it is swapped in.
    assert f'<article id="post-{post.pk}" class="reply" tabindex="-1" autofocus>' in body
    assert body.count("autofocus") == 1
    assert '<div hx-swap-oob="innerHTML:#announcer">Your reply is posted.</div>' in body


def test_it_announces_nothing_and_marks_the_field_when_a_reply_is_empty(world, client_for, thread):
    body = (
        client_for(world.participant)
        .post(_reply_url(world, thread), {"body": "", "idempotency_key": "k1"}, headers=HTMX)
        .content.decode()
    )
    # app.js moves focus to the field marked invalid in what was swapped in.
    assert re.search(r'<textarea name="body"[^>]*aria-invalid="true"[^>]*id="id_body"', body)
    assert "#announcer" not in body and "autofocus" not in body


def test_it_hands_focus_to_the_new_comment_and_announces_it(world, client_for, thread, reply_to):
    reply = reply_to(thread, author=world.groupmate)
    body = (
        client_for(world.participant)
        .post(
            _comment_url(world, thread, reply),
            {"body": "Good point", "idempotency_key": "c1"},
            headers=HTMX,
        )
        .content.decode()
    )
    comment = Post.objects.get(parent=reply)
    assert f'<div id="post-{comment.pk}" class="comment" tabindex="-1" autofocus>' in body
    assert '<div hx-swap-oob="innerHTML:#announcer">Your comment is posted.</div>' in body


def test_it_loads_a_comment_form_on_demand_with_htmx(world, client_for, thread, reply_to):
    reply = reply_to(thread, author=world.groupmate)
    response = client_for(world.participant).get(_comment_url(world, thread, reply), headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith(f'<form id="comment-form-{reply.pk}" method="post"')
    assert f'hx-post="{_comment_url(world, thread, reply)}"' in body
    assert 'name="csrfmiddlewaretoken"' in body and 'name="idempotency_key"' in body
    # Pressing "Comment" moves the focus into the form that replaced the button.
    assert re.search(r"<textarea [^>]*autofocus", body)


def test_it_opens_the_comment_form_as_a_page_without_javascript(
    world, client_for, thread, reply_to
):
    reply = reply_to(thread, author=world.groupmate, body="The reply being answered")
    client = client_for(world.participant)
    response = client.get(_comment_url(world, thread, reply))
    body = response.content.decode()
    assert response.status_code == 200 and "<html" in body
    assert "The reply being answered" in body
    assert f'action="{_comment_url(world, thread, reply)}"' in body
    key = re.search(r'name="idempotency_key" value="(\w+)"', body).group(1)
    response = client.post(
        _comment_url(world, thread, reply), {"body": "Seen", "idempotency_key": key}
    )
    comment = Post.objects.get(parent=reply)
    assert response["Location"] == (
        f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/?page=1#post-{comment.pk}"
    )


def test_it_says_why_no_comment_form_in_a_locked_thread(world, client_for, thread, reply_to):
    reply = reply_to(thread, author=world.groupmate)
    Thread.objects.filter(pk=thread.pk).update(locked=True)
    client = client_for(world.participant)
    response = client.get(_comment_url(world, thread, reply))
    assert response.status_code == 400
    assert "This thread is locked" in response.content.decode()
    response = client.get(_comment_url(world, thread, reply), headers=HTMX)
    assert "This thread is locked" in response.content.decode()
