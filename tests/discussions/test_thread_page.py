"""The thread page: opening post, replies 50 a page with their comments, Markdown made safe."""

import re
from html.parser import HTMLParser

import pytest

from accounts.models import User
from discussions.models import Post, PostKind

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.test/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<a href="javascript:alert(1)">click</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "<a href='data:text/html,<script>alert(1)</script>'>x</a>",
    "<div onmouseover=alert(1)>hover</div>",
    '<iframe src="javascript:alert(1)"></iframe>',
    "<<script>script>alert(1)<</script>/script>",
    '<img src="x" onerror="alert(1)"',
    '<p style="background:url(javascript:alert(1))">',
    "[x](&#106;avascript:alert(1))",
    "<details open ontoggle=alert(1)>",
]


def _url(world, thread, page=None):
    url = f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/"
    return f"{url}?page={page}" if page else url


def _user_content(body: str) -> str:
    """The part of the page users wrote: between the thread's start and the reply form."""
    return body[body.index('<article id="thread">') : body.index('id="reply-heading"')]


class _Elements(HTMLParser):
    """Every element and attribute a browser would build from the HTML."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))


def _elements(html: str) -> list[tuple[str, dict]]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.elements


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_it_renders_hostile_text_inert(world, client_for, start_thread, reply_to, payload):
    thread = start_thread(title=payload, body=payload)
    reply = reply_to(thread, body=payload)
    reply_to(thread, body=payload, parent=reply)
    # People's names are user text too: the posts' author and endorser lines escape them.
    User.objects.update(display_name=payload)
    Post.objects.filter(pk=reply.pk).update(endorsed_by=world.instructor)
    body = client_for(world.instructor).get(_url(world, thread)).content.decode()
    content = _user_content(body)
    assert "<script" not in content.lower()
    for tag, attributes in _elements(content):
        assert tag not in ("script", "svg", "iframe", "img", "object", "embed")
        assert not [name for name in attributes if name.startswith("on") or name == "style"]
        href = re.sub(r"[\s\x00-\x1f]", "", attributes.get("href", "")).lower()
        assert not href.startswith(("javascript:", "data:", "vbscript:"))
        # Our own controls (edit, load more, skip to the reply box) are site paths or in-page
        # links; user links are marked as such.
        if tag == "a" and href and not href.startswith(("/cohorts/", "?page=", "#id_body")):
            assert attributes["rel"] == "noopener noreferrer nofollow ugc"
    # The text is still there for people to read, as text.
    assert "alert(1)" in content or "evil.test" in content or "x" in content


def test_it_renders_markdown_with_safe_links(world, client_for, start_thread):
    thread = start_thread(body="**Bold** and [a link](https://example.com/read)")
    body = client_for(world.participant).get(_url(world, thread)).content.decode()
    assert "<strong>Bold</strong>" in body
    link = re.search(r'<a [^>]*href="https://example.com/read"[^>]*>', body).group(0)
    assert 'rel="noopener noreferrer nofollow ugc"' in link


def test_it_shows_the_opening_post_replies_and_their_comments(world, client_for, thread, reply_to):
    reply = reply_to(thread, body="First reply")
    reply_to(thread, body="A comment on it", parent=reply, author=world.groupmate)
    body = client_for(world.participant).get(_url(world, thread)).content.decode()
    assert "Tell us about a time." in body
    assert body.index("First reply") < body.index("A comment on it")
    assert f'id="comments-{reply.pk}"' in body
    assert (
        f'action="/cohorts/{world.cohort.pk}/threads/{thread.pk}/posts/{reply.pk}/comment/"' in body
    )


def _replies_with_comments(world, thread, n):
    replies = Post.objects.bulk_create(
        Post(thread=thread, author=world.participant, kind=PostKind.REPLY, body=f"Reply {i}")
        for i in range(n)
    )
    Post.objects.bulk_create(
        Post(thread=thread, parent=r, author=world.groupmate, kind=PostKind.COMMENT, body="c")
        for r in replies
    )


def test_it_pages_fifty_replies_at_a_time(world, client_for, thread):
    _replies_with_comments(world, thread, 51)
    client = client_for(world.participant)
    first = client.get(_url(world, thread)).content.decode()
    assert "Reply 49<" in first and "Reply 50<" not in first
    assert "Page 1 of 2" in first
    assert "Reply 50<" in client.get(_url(world, thread, 2)).content.decode()


def test_it_costs_the_same_queries_for_5_or_120_replies(
    world, client_for, thread, django_assert_max_num_queries
):
    client = client_for(world.participant)
    _replies_with_comments(world, thread, 5)
    # Two of them: whether I follow the thread, and the mentions of the shown posts.
    with django_assert_max_num_queries(17) as few:
        client.get(_url(world, thread))
    _replies_with_comments(world, thread, 115)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(_url(world, thread, 2))


def test_it_shows_a_locked_thread_without_a_reply_form(world, client_for, thread):
    thread.locked = True
    thread.save(update_fields=["locked"])
    body = client_for(world.participant).get(_url(world, thread)).content.decode()
    assert "it takes no new replies" in body
    assert 'id="reply-form"' not in body


def test_it_offers_a_skip_to_the_reply_box_above_the_replies(world, client_for, thread, reply_to):
    client = client_for(world.participant)
    skip = '<a href="#id_body" class="skip-to-reply">Skip to the reply box</a>'
    assert skip not in client.get(_url(world, thread)).content.decode()
    reply_to(thread, body="First reply")
    body = client.get(_url(world, thread)).content.decode()
    assert body.index(skip) < body.index("First reply") < body.index('id="id_body"')
    thread.locked = True
    thread.save(update_fields=["locked"])
    assert skip not in client.get(_url(world, thread)).content.decode()


def test_it_makes_each_post_s_reactions_one_toolbar(world, client_for, thread, reply_to):
    reply = reply_to(thread, body="First reply")
    body = client_for(world.participant).get(_url(world, thread)).content.decode()
    toolbar = f'<div id="reactions-{reply.pk}" class="reactions" role="toolbar"'
    assert f'{toolbar} aria-label="Reactions">' in body


def test_it_loads_more_replies_inline_with_a_page_link_fallback(world, client_for, thread):
    _replies_with_comments(world, thread, 120)
    client = client_for(world.participant)
    first = client.get(_url(world, thread)).content.decode()
    assert 'href="?page=2" hx-get="?page=2" hx-target="#replies" hx-swap="beforeend"' in first
    more = client.get(_url(world, thread, 2), headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in more and 'id="thread"' not in more
    assert more.lstrip().startswith('<article id="post-')
    assert "Reply 50<" in more and "Reply 99<" in more and "Reply 100<" not in more
    # The load-more link moves on to page 3, replacing the old one out of band.
    assert '<nav id="replies-more"' in more and 'hx-swap-oob="true"' in more
    assert 'hx-get="?page=3"' in more
    last = client.get(_url(world, thread, 3), headers={"HX-Request": "true"}).content.decode()
    assert "Reply 119<" in last and "Load more replies" not in last


def test_it_marks_the_thread_read_when_viewed(world, client_for, thread):
    from discussions.models import ReadMarker

    client = client_for(world.participant)
    client.get(_url(world, thread))
    first = ReadMarker.objects.get(thread=thread, user=world.participant).read_at
    client.get(_url(world, thread))
    assert ReadMarker.objects.get(thread=thread, user=world.participant).read_at > first


def _big_thread(world, thread, n):
    """n replies, each with three reactions; every tenth with two comments and a mention."""
    from discussions.models import Mention, Reaction

    replies = Post.objects.bulk_create(
        Post(thread=thread, author=world.groupmate, kind=PostKind.REPLY, body=f"Reply {i}")
        for i in range(n)
    )
    comments = Post.objects.bulk_create(
        Post(thread=thread, parent=r, author=u, kind=PostKind.COMMENT, body="c")
        for r in replies[::10]
        for u in (world.participant, world.instructor)
    )
    Reaction.objects.bulk_create(
        Reaction(post=p, user=u, kind=kind)
        for p in [*replies, *comments]
        for u, kind in (
            (world.participant, "like"),
            (world.instructor, "useful"),
            (world.groupmate, "learned"),
        )
    )
    Mention.objects.bulk_create(Mention(post=r, user=world.participant) for r in replies[::10])


@pytest.mark.parametrize("who", ["participant", "instructor"])
def test_it_costs_the_same_queries_for_a_thread_of_two_or_two_thousand_replies(
    world, client_for, thread, django_assert_max_num_queries, who
):
    from discussions.models import Thread

    Thread.objects.filter(pk=thread.pk).update(post_first=True)
    client = client_for(getattr(world, who))
    if who == "participant":
        Post.objects.create(thread=thread, author=world.participant, kind="reply", body="Mine")
    _big_thread(world, thread, 2)
    # Two of them: whether I follow the thread, and the mentions of the shown posts.
    with django_assert_max_num_queries(18) as small:
        client.get(_url(world, thread))
    _big_thread(world, thread, 1998)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(_url(world, thread, 20))
    body = response.content.decode()
    assert re.search(r"Page 20 of 4[01]<", body) and body.count('class="reply"') == 50
    assert 'aria-pressed="true"' in body
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(_url(world, thread, 30), headers={"HX-Request": "true"})


@pytest.mark.parametrize("who", ["manager", "instructor", "participant"])
def test_it_costs_at_most_twelve_queries_for_a_page_of_fifty_replies(
    world, client_for, thread, django_assert_max_num_queries, who
):
    _big_thread(world, thread, 120)
    client = client_for(getattr(world, who))
    with django_assert_max_num_queries(12):
        response = client.get(_url(world, thread))
    assert response.content.decode().count('class="reply"') == 50


def test_it_builds_one_reaction_form_per_post_and_no_comment_forms_on_read(
    world, client_for, thread
):
    _big_thread(world, thread, 60)
    body = client_for(world.instructor).get(_url(world, thread)).content.decode()
    shown = 1 + 50 + 2 * 5  # the opening post, a page of replies and their comments
    assert body.count('class="reactions"') == shown
    assert len(re.findall(r'<form [^>]*action="[^"]*/react/"', body)) == shown
    # Comment forms and their keys come on demand; the one key on the page is the reply form's.
    assert "<textarea" in body and body.count("<textarea") == 1
    assert body.count('name="idempotency_key"') == 1
    assert len(re.findall(r'<form method="get" action="[^"]*/comment/"', body)) == 50
    # So do an instructor's tools for each post, behind its "Moderate" button.
    assert body.count(">Moderate</button>") == shown
    assert "/endorse/" not in body and "/spark/" not in body


def test_it_links_every_post_action_to_its_view(world, client_for, thread):
    """Post links are built from one prefix per page: each must resolve to its own view."""
    from django.urls import resolve

    _big_thread(world, thread, 3)
    reply = Post.objects.filter(thread=thread, kind="reply").first()
    Post.objects.filter(pk=reply.pk).update(author=world.participant)
    body = client_for(world.participant).get(_url(world, thread)).content.decode()
    instructor = client_for(world.instructor)
    body += instructor.get(_url(world, thread)).content.decode()
    body += instructor.get(f"{_url(world, thread)}posts/{reply.pk}/moderate/").content.decode()
    links = set(re.findall(r'(?:href|action)="(/cohorts/[^"]*/posts/[^"]*)"', body))
    views = {resolve(link).url_name: resolve(link).kwargs for link in links}
    assert set(views) == {
        "react", "comment", "post_moderate", "endorse", "post_edit", "post_remove", "post_flag",
        "spark_from_post",
    }  # fmt: skip
    for kwargs in views.values():
        assert (kwargs["pk"], kwargs["thread_pk"]) == (world.cohort.pk, thread.pk)


def test_it_keeps_in_place_answers_out_of_the_browser_history(world, client_for, thread, reply_to):
    """The page's boosted forms (reactions, Comment, Moderate, Flag) get fragments, not pages."""
    reply = reply_to(thread, author=world.groupmate)
    posts = f"{_url(world, thread)}posts/{reply.pk}"
    htmx = {"HX-Request": "true", "HX-Boosted": "true"}
    participant, instructor = client_for(world.participant), client_for(world.instructor)
    for response in (
        participant.post(f"{posts}/react/", {"kind": "like", "on": "like"}, headers=htmx),
        participant.get(f"{posts}/comment/", headers=htmx),
        participant.get(f"{posts}/flag/", headers=htmx),
        instructor.get(f"{posts}/moderate/", headers=htmx),
    ):
        assert response.status_code == 200 and "<html" not in response.content.decode()
        assert response["HX-Push-Url"] == "false"
