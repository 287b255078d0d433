"""User-written text: Markdown rendered to sanitised HTML (markdown-it-py, then nh3).

Raw HTML in the source is escaped by markdown-it (html=False) and nh3 then keeps only a short list
of tags and attributes, http(s) and mailto links, and adds rel="noopener noreferrer nofollow ugc"
and target="_blank" to links, so nothing a user writes runs in another user's browser. Images are
shown as links to them: loading them would bring third-party content into every reader's
page.
"""

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml as escape_html

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable(
    ["strikethrough", "table"]
)


def _image_as_link(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    src = escape_html(str(token.attrGet("src") or ""))
    alt = escape_html(self.renderInlineAsText(token.children or [], options, env) or "image")
    return f'<a href="{src}">{alt}</a>'


# An image becomes a link to it: nothing third-party loads into a reader's page.
_markdown.add_render_rule("image", _image_as_link)

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "s", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "h6", "hr",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}


def render_markdown(text: str) -> SafeString:
    html = _markdown.render(text or "")
    # Headings from users are demoted so they never compete with the page's own h1/h2.
    for level in (2, 1):
        html = html.replace(f"<h{level}>", "<h3>").replace(f"</h{level}>", "</h3>")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow ugc",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )
    return mark_safe(clean)
