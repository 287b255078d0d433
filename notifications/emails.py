"""Notification emails rendered once for many people.

`notifications/email/<name>.{subject.txt,txt,html}` are rendered once per batch with a slot where
each person's own values go (their name, their signed links, their unsubscribe link); `fill`
puts one person's values in, HTML-escaped in the HTML part. A send to 5,000 people renders the
templates once, not 5,000 times.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
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


# Stands for the argument in a path reversed once per URL name (`path_for`).
_ARGUMENT = "987654321"


@lru_cache(maxsize=64)
def _path_with_argument(name: str, urlconf: str | None, prefix: str) -> str:
    return reverse(name, args=[_ARGUMENT], urlconf=urlconf)


def path_for(name: str, argument: str | int) -> str:
    """`reverse(name, args=[argument])` for a URL of one argument, reversed once per name (and
    URLconf and script prefix): a batch of emails builds thousands of these links."""
    path = _path_with_argument(name, get_urlconf(), get_script_prefix())
    return path.replace(_ARGUMENT, str(argument))


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
        self.name = name
        self._load(
            subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX
            + " ".join(render_to_string(f"{base}.subject.txt", full).split()),
            text=render_to_string(f"{base}.txt", full),
            html=render_to_string(f"{base}.html", full),
        )

    @classmethod
    def stored(cls, *, subject: str, text: str, html: str, name: str = "") -> EmailTemplate:
        """A template rendered earlier and stored with its slots (an `OutboxTemplate`)."""
        template = cls.__new__(cls)
        template.name = name
        template._load(subject=subject, text=text, html=html)
        return template

    def _load(self, *, subject: str, text: str, html: str) -> None:
        # As rendered, slots included: what an OutboxTemplate stores.
        self.subject, self.text, self.html = subject, text, html
        self._subject = _SLOT.split(subject)
        self._text = _SLOT.split(text)
        self._html = _SLOT.split(html)

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

    def fill_subject(self, values: dict[str, str]) -> str:
        return self._join(self._subject, values, html=False)

    def fill(self, values: dict[str, str]) -> dict[str, str]:
        """Subject and both bodies for one person."""
        return {
            "subject": self.fill_subject(values),
            "body_text": self._join(self._text, values, html=False),
            "body_html": self._join(self._html, values, html=True),
        }


def email_render(*, template: str, context: dict, values: dict[str, str] | None = None) -> dict:
    """One email for one person (a digest, an invitation): render and fill at once."""
    return EmailTemplate(template, context).fill(values or {})


def slots_of(names: Iterable[str]) -> dict[str, str]:
    return {name: slot(name) for name in names}
