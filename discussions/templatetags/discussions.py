import re
from html import unescape

from django import template
from django.utils.safestring import SafeString, mark_safe

from discussions.services import MENTION_PATTERN
from socialtraining.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """User-written Markdown as sanitised HTML."""
    return render_markdown(text)


# A tag with its attributes (nh3 quotes them with "), so a ">" inside a value is not its end.
_TAG = re.compile(r"""(<(?:[^>"']|"[^"]*"|'[^']*')*>)""")


@register.filter
def highlight_mentions(html: SafeString, post) -> SafeString:
    """Mark `@[Name]` in sanitised post HTML for the names the post really mentions.

    The names come from the view (`mentioned_names`, loaded for all shown posts at once); a post
    rendered without them (a refusal page, say) shows its text unmarked.

    Only text between tags is touched (never attribute values), and not inside code. The name
    re-emitted is the already escaped text of the sanitised HTML, so this adds no markup of
    the author's.
    """
    names = getattr(post, "mentioned_names", None)
    if not names:
        return html

    def mark(match: re.Match) -> str:
        if unescape(match.group(1)).strip().casefold() not in names:
            return match.group(0)
        return f'<span class="mention">@{match.group(1)}</span>'

    parts = _TAG.split(str(html))
    in_code = 0
    for n, part in enumerate(parts):
        if n % 2:
            if part.startswith(("<code", "<pre")):
                in_code += 1
            elif part.startswith(("</code", "</pre")):
                in_code = max(0, in_code - 1)
        elif not in_code:
            parts[n] = MENTION_PATTERN.sub(mark, part)
    return mark_safe("".join(parts))
