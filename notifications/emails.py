"""Notification emails rendered once for many people.

`notifications/email/<name>.{subject.txt,txt,html}` are rendered once per batch with a slot where
each person's own values go (their name, their signed links, their unsubscribe link); `fill`
puts one person's values in, HTML-escaped in the HTML part. A send to 5,000 people renders the
templates once, not 5,000 times.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape

# Private-use characters: nothing a person writes or a template prints contains them, and
# Django's escaping leaves them alone.
_SLOT = re.compile("\ue000([a-z0-9_]+)\ue001")
# Every notification email has these; callers add their own (e.g. a spark's signed links).
BASE_SLOTS = ("recipient_name", "unsubscribe_url")


def slot(name: str) -> str:
    """The placeholder a template prints where this person's `name` value goes."""
    return f"\ue000{name}\ue001"


def site_path(url: str) -> str:
    """A link for a notification: a path on this site, never another scheme or host."""
    if url and (not url.startswith("/") or url.startswith("//") or "\\" in url):
        raise ValueError(f"Notification links must be paths on this site, not {url!r}.")
    return url


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{site_path(path)}" if path else ""


class EmailTemplate:
    """One notification email for many people: rendered once, filled per person."""

    def __init__(self, name: str, context: dict) -> None:
        full = {
            "site_url": settings.SITE_URL,
            "preferences_url": absolute_url(reverse("notifications:preferences")),
            **{name: slot(name) for name in BASE_SLOTS},
            **context,
        }
        base = f"notifications/email/{name}"
        subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(
            render_to_string(f"{base}.subject.txt", full).split()
        )
        self.name = name
        self._subject = _SLOT.split(subject)
        self._text = _SLOT.split(render_to_string(f"{base}.txt", full))
        self._html = _SLOT.split(render_to_string(f"{base}.html", full))

    @staticmethod
    def _join(parts: list[str], values: dict[str, str], *, html: bool) -> str:
        # After re.split with one group, odd positions are slot names.
        out = []
        for index, part in enumerate(parts):
            if index % 2:
                value = values.get(part, "")
                out.append(escape(value) if html else value)
            else:
                out.append(part)
        return "".join(out)

    def fill(self, values: dict[str, str]) -> dict[str, str]:
        """Subject and both bodies for one person."""
        return {
            "subject": self._join(self._subject, values, html=False),
            "body_text": self._join(self._text, values, html=False),
            "body_html": self._join(self._html, values, html=True),
        }


def email_render(*, template: str, context: dict, values: dict[str, str] | None = None) -> dict:
    """One email for one person (a digest, an invitation): render and fill at once."""
    return EmailTemplate(template, context).fill(values or {})


def slots_of(names: Iterable[str]) -> dict[str, str]:
    return {name: slot(name) for name in names}
