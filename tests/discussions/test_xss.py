"""Hostile text posted through the real forms renders inert on every page that shows it.

Each payload goes in as a thread title and body, a reply, a comment, a flag's note and a search
query; the thread page, the feed, the search results and the moderation queue are then parsed as
a browser would (html.parser unescapes entities) and must hold no script of ours that a user
wrote, no event handler, no inline style, no embedding element and no javascript:/data: URL.
"""

import re
from html.parser import HTMLParser

import pytest

from discussions.models import Post, Thread

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.test/x.js></SCRIPT>",
    "<ScRiPt>alert(1)</sCrIpT>",
    '"><script>alert(1)</script>',
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<SCRIPT>alert(1);//<</SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=JaVaScRiPt:alert(1)>",
    '<img src="x" onerror="alert(1)"',
    "<body onload=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="data:text/html,<script>alert(1)</script>"></object>',
    "<embed src=javascript:alert(1)>",
    "<style>body{display:none}</style>",
    '<p style="background:url(javascript:alert(1))">styled</p>',
    "<div onmouseover=alert(1)>hover</div>",
    "<details open ontoggle=alert(1)>",
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="&#x6A;avascript:alert(1)">entity</a>',
    '<a href="jav&#x09;ascript:alert(1)">tab</a>',
    "<a href='data:text/html,<script>alert(1)</script>'>x</a>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x]( javascript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml,<svg onload=alert(1)>)",
    "<javascript:alert(1)>",
    '[x](https://ok.test "t\\" onmouseover=\\"alert(1)")',
    "' onmouseover='alert(1)' x='",
    "<a href=https://evil.test>plain link</a> [fine](https://example.com)",
]

FORBIDDEN_TAGS = {"iframe", "object", "embed", "svg", "math", "img", "style", "base", "frame"}
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "data", "xlink:href", "srcdoc")


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.in_script = False
        self.script_text = ""

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))
        self.in_script = tag == "script"

    def handle_endtag(self, tag):
        self.in_script = False

    def handle_data(self, data):
        if self.in_script:
            self.script_text += data


def assert_inert(html: str) -> None:
    page = _Page()
    page.feed(html)
    page.close()
    # Only our own static scripts, by src, with nothing inline (CSP would refuse it anyway).
    assert not page.script_text.strip()
    for tag, attributes in page.elements:
        if tag == "script":
            assert attributes.get("src", "").startswith("/static/"), attributes
        assert tag not in FORBIDDEN_TAGS, (tag, attributes)
        if tag == "meta":
            assert "http-equiv" not in attributes, attributes
        assert not [n for n in attributes if n.startswith("on") or n == "style"], attributes
        for name in URL_ATTRIBUTES:
            # Browsers ignore whitespace and control characters inside a URL's scheme.
            url = re.sub(r"[\s\x00-\x1f]", "", attributes.get(name, "")).lower()
            assert not url.startswith(("javascript:", "data:", "vbscript:")), (tag, attributes)
        href = attributes.get("href", "")
        if tag == "a" and href.startswith(("http:", "https:", "//")):
            assert {"noopener", "noreferrer", "nofollow"} <= set(attributes.get("rel", "").split())


def test_the_checker_catches_executable_markup():
    # A check that cannot fail is a defect: each of these must trip it.
    for html in (
        "<script>alert(1)</script>",
        '<a href="&#x6A;ava&#x09;script:alert(1)">x</a>',
        "<p onclick=alert(1)>x</p>",
        '<a href="https://evil.test">x</a>',
        "<svg></svg>",
    ):
        with pytest.raises(AssertionError):
            assert_inert(html)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_it_renders_hostile_text_inert_everywhere(world, client_for, payload):
    author = client_for(world.participant)
    cohort = world.cohort.pk
    response = author.post(
        f"/cohorts/{cohort}/discussions/new/",
        {"kind": "discussion", "title": payload[:200], "body": payload, "idempotency_key": "t"},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    thread = Thread.objects.get()
    thread_url = f"/cohorts/{cohort}/threads/{thread.pk}/"
    author.post(f"{thread_url}reply/", {"body": payload, "idempotency_key": "r"})
    reply = Post.objects.get(thread=thread, kind="reply")
    author.post(f"{thread_url}posts/{reply.pk}/comment/", {"body": payload, "idempotency_key": "c"})
    assert Post.objects.filter(thread=thread).count() == 3

    reader = client_for(world.groupmate)
    reader.post(f"{thread_url}posts/{reply.pk}/flag/", {"reason": "other", "note": payload[:300]})
    pages = {
        "thread": reader.get(thread_url),
        "feed": reader.get(f"/cohorts/{cohort}/discussions/"),
        "search": reader.get(f"/cohorts/{cohort}/discussions/search/", {"q": payload[:200]}),
        "search for a word": reader.get(f"/cohorts/{cohort}/discussions/search/", {"q": "x"}),
    }
    pages["queue"] = client_for(world.instructor).get(f"/cohorts/{cohort}/discussions/moderation/")
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert_inert(response.content.decode())
