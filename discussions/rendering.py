"""A post's text as pages show it: sanitised HTML with its mentions marked, made once.

Services store it on the post when it is written or edited (`Post.body_html`), so no page renders
Markdown on a view. After a change of the Markdown or sanitiser settings
(`socialtraining/markdown.py`), `manage.py render_posts` renders every stored post again
(`posts_html_render`); the data migration that added the column used the same function.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import unescape

from socialtraining.markdown import render_markdown

# `@[Ana Lima]`: the brackets carry names with spaces, and CommonMark leaves a lone `[text]`
# (no link target follows) as literal text, so the syntax survives rendering and can be found
# again in the sanitised HTML. `<`, `>` and newlines never belong to a name.
MENTION_PATTERN = re.compile(r"@\[([^\]\n<>]{1,150})\]")

# A tag with its attributes (nh3 quotes them with "), so a ">" inside a value is not its end.
_TAG = re.compile(r"""(<(?:[^>"']|"[^"]*"|'[^']*')*>)""")

# Posts read, rendered and written per batch by posts_html_render.
RENDER_BATCH = 1000


def mentions_highlight(html: str, names: set[str]) -> str:
    """Mark `@[Name]` in sanitised HTML for each of `names` (casefolded) the post really mentions.

    Only text between tags is touched (never attribute values), and not inside code. The name
    re-emitted is the already escaped text of the sanitised HTML, so this adds no markup of
    the author's.
    """
    if not names:
        return html

    def mark(match: re.Match) -> str:
        if unescape(match.group(1)).strip().casefold() not in names:
            return match.group(0)
        return f'<span class="mention">@{match.group(1)}</span>'

    parts = _TAG.split(html)
    in_code = 0
    for n, part in enumerate(parts):
        if n % 2:
            if part.startswith(("<code", "<pre")):
                in_code += 1
            elif part.startswith(("</code", "</pre")):
                in_code = max(0, in_code - 1)
        elif not in_code:
            parts[n] = MENTION_PATTERN.sub(mark, part)
    return "".join(parts)


def post_html(body: str, mentioned: Iterable[str] = ()) -> str:
    """`body` as sanitised HTML, `@[Name]` marked for each name in `mentioned`.

    `mentioned` holds the names of the people the post mentions as the services resolved them
    (only people who see its space, never its author: `mentions.mentioned_people`), so a name
    that is not a real mention stays plain text.
    """
    names = {name.strip().casefold() for name in mentioned}
    return mentions_highlight(str(render_markdown(body)), names)


def mention_names_by_post(mention_model, post_ids: list[int]) -> dict[int, set[str]]:
    """The names each post mentions (its Mention rows), in one query.

    A person's name is their display name or their email's local part, as `User.name` gives it.
    """
    names: dict[int, set[str]] = {}
    rows = mention_model.objects.filter(post_id__in=post_ids).values_list(
        "post_id", "user__display_name", "user__email"
    )
    for post_id, display_name, email in rows:
        names.setdefault(post_id, set()).add(display_name or email.split("@")[0])
    return names


def posts_html_render(
    post_model, mention_model, *, missing_only: bool = False, batch: int = RENDER_BATCH
) -> tuple[int, int]:
    """Render the stored HTML of every post again from its text and its Mention rows.

    Reads in primary-key batches (two queries each) and writes only the rows whose HTML changed,
    so a second run changes nothing. `missing_only` renders only rows that have text and no
    HTML yet. Takes the models so a data migration can pass its historical ones. Returns
    (posts read, posts changed).
    """
    rows = post_model.objects.order_by("pk")
    if missing_only:
        rows = rows.filter(body_html="").exclude(body="")
    read = changed = 0
    last = 0
    while True:
        chunk = list(rows.filter(pk__gt=last).values_list("pk", "body", "body_html")[:batch])
        if not chunk:
            return read, changed
        last = chunk[-1][0]
        names = mention_names_by_post(mention_model, [pk for pk, _, _ in chunk])
        stale = []
        for pk, body, stored in chunk:
            html = post_html(body, names.get(pk, ()))
            if html != stored:
                stale.append(post_model(pk=pk, body_html=html))
        post_model.objects.bulk_update(stale, ["body_html"], batch_size=200)
        read += len(chunk)
        changed += len(stale)
