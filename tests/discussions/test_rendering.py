"""Posts are rendered once, when written or edited; `render_posts` renders them all again."""

from io import StringIO

from django.core.management import call_command

from discussions import posting, prompts, rendering
from discussions.models import Mention, Post
from socialtraining import markdown
from tests.discussions.conftest import key


def _name(user, name):
    user.display_name = name
    user.save(update_fields=["display_name"])
    return user


def _thread_url(world, thread):
    return f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/"


def test_it_stores_the_sanitised_html_of_a_new_thread_reply_and_comment(
    world, start_thread, reply_to
):
    thread = start_thread(body="**Opening** <script>alert(1)</script>")
    reply = reply_to(thread, body="A [link](https://example.com)")
    comment = reply_to(thread, body="_fine_", parent=reply)
    opening = Post.objects.get(thread=thread, is_opening=True)
    assert opening.body_html.startswith("<p><strong>Opening</strong> &lt;script&gt;")
    reply.refresh_from_db()
    assert reply.body_html == (
        '<p>A <a href="https://example.com" target="_blank" '
        'rel="noopener noreferrer nofollow ugc">link</a></p>\n'
    )
    comment.refresh_from_db()
    assert comment.body_html == "<p><em>fine</em></p>\n"


def test_it_shows_the_stored_html_without_rendering_on_view(world, client_for, thread, reply_to):
    reply = reply_to(thread, body="What was written")
    # Stored HTML is what the page shows: a view never renders the Markdown again.
    Post.objects.filter(pk=reply.pk).update(body_html="<p>Rendered when written</p>")
    body = client_for(world.groupmate).get(_thread_url(world, thread)).content.decode()
    assert "<p>Rendered when written</p>" in body and "What was written" not in body


def test_it_marks_only_real_mentions_at_write_time(world, client_for, thread, reply_to):
    _name(world.groupmate, "Ana Lima")
    _name(world.other_cohort_participant, "Eve Elsewhere")
    reply = reply_to(thread, body="Hi @[Ana Lima], @[Eve Elsewhere] and `@[Ana Lima]`")
    reply.refresh_from_db()
    assert '<span class="mention">@Ana Lima</span>' in reply.body_html
    # Someone who cannot see the space is never marked, and code stays code.
    assert "@[Eve Elsewhere]" in reply.body_html
    assert "<code>@[Ana Lima]</code>" in reply.body_html


def test_it_renders_an_edit_again_with_its_mentions(world, client_for, thread, reply_to):
    _name(world.groupmate, "Ana Lima")
    reply = reply_to(thread, body="Hello")
    client_for(world.participant).post(
        f"{_thread_url(world, thread)}posts/{reply.pk}/edit/", {"body": "Hello **@[Ana Lima]**"}
    )
    reply.refresh_from_db()
    assert reply.body_html == (
        '<p>Hello <strong><span class="mention">@Ana Lima</span></strong></p>\n'
    )


def test_it_stores_html_for_a_released_prompt(world, prompt):
    prompt.body = "Read **this** first."
    prompt.save(update_fields=["body"])
    (thread,) = prompts.prompt_release(prompt)
    opening = Post.objects.get(thread=thread, is_opening=True)
    assert opening.body_html == "<p>Read <strong>this</strong> first.</p>\n"


def test_it_shows_a_post_inserted_without_html_rather_than_nothing(world, client_for, thread):
    Post.objects.create(thread=thread, author=world.groupmate, kind="reply", body="**Raw** insert")
    body = client_for(world.participant).get(_thread_url(world, thread)).content.decode()
    assert "<strong>Raw</strong> insert" in body


def _render_posts(*args) -> str:
    out = StringIO()
    call_command("render_posts", *args, stdout=out)
    return out.getvalue()


def test_it_renders_every_post_again_once_and_then_changes_nothing(
    world, start_thread, reply_to, monkeypatch
):
    _name(world.groupmate, "Ana Lima")
    thread = start_thread(body="Opening")
    reply = reply_to(thread, body="**Bold** for @[Ana Lima]")
    reply_to(thread, body="A comment", parent=reply)
    written = {pk: html for pk, html in Post.objects.values_list("pk", "body_html")}

    # Nothing changed since the posts were written: nothing to store.
    assert f"{len(written)} posts read, 0 changed" in _render_posts()

    # The sanitiser's settings change: bold is no longer allowed.
    monkeypatch.setattr(markdown, "ALLOWED_TAGS", markdown.ALLOWED_TAGS - {"strong"})
    assert "3 posts read, 1 changed" in _render_posts("--batch", "2")
    reply.refresh_from_db()
    assert reply.body_html == '<p>Bold for <span class="mention">@Ana Lima</span></p>\n'
    # A second run renders the same HTML and writes nothing.
    assert "3 posts read, 0 changed" in _render_posts()
    after = dict(Post.objects.values_list("pk", "body_html"))
    assert after == {**written, reply.pk: reply.body_html}


def test_it_fills_only_posts_without_html(world, thread, reply_to):
    reply = reply_to(thread, body="*kept*")
    raw = Post.objects.create(thread=thread, author=world.groupmate, kind="reply", body="_new_")
    Post.objects.filter(pk=reply.pk).update(body_html="<p>as written</p>")
    read, changed = rendering.posts_html_render(Post, Mention, missing_only=True)
    assert (read, changed) == (1, 1)
    raw.refresh_from_db()
    reply.refresh_from_db()
    assert raw.body_html == "<p><em>new</em></p>\n"
    assert reply.body_html == "<p>as written</p>"


def test_it_writes_what_the_services_write(world, thread):
    post = posting.post_reply(
        thread=thread, author=world.participant, body="Same *text*", idempotency_key=key()
    )
    Post.objects.filter(pk=post.pk).update(body_html="")
    rendering.posts_html_render(Post, Mention)
    stored = Post.objects.get(pk=post.pk).body_html
    assert stored == rendering.post_html("Same *text*") == "<p>Same <em>text</em></p>\n"
