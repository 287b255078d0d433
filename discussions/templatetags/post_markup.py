"""The thread page's posts, rendered by the Jinja2 macros of templates/discussions/posts.jinja.

Django's template engine spent most of the thread page's time on its 50 replies and their
comments; the same markup as compiled Jinja2 macros costs a fraction of it. thread.html's partials
call these tags, so views and htmx fragments keep naming "discussions/thread.html#…".
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

import jinja2
from django import template
from django.conf import settings
from django.template.context import Context
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.safestring import SafeString, mark_safe

from socialtraining.template_clock import timesince

register = template.Library()


@dataclass(frozen=True)
class Viewer:
    """What the posts' markup needs to know of the page and the person viewing it."""

    csrf_token: str
    user_pk: int | None
    can_teach: bool
    moderation_url: str
    focused_pk: int | None
    locked: bool


def _iso(value: datetime) -> str:
    # In the active time zone, as Django's `date:'c'`, to the second: the microseconds are 448
    # bytes of a page of 64 posts that nobody reads.
    return timezone.localtime(value).isoformat(timespec="seconds")


def _datetime_format(value: datetime) -> str:
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


@cache
def _macros():
    """The compiled macros, once per process (the file is read again in DEBUG when it changes)."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(settings.BASE_DIR / "templates"),
        autoescape=True,
        auto_reload=settings.DEBUG,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters |= {
        "iso": _iso,
        "datetime_format": _datetime_format,
        "timesince": timesince,
    }
    return environment.get_template("discussions/posts.jinja").module


def _viewer(context: Context) -> Viewer:
    cohort = context["cohort"]
    access = context["access"]
    user = context.get("user")
    return Viewer(
        csrf_token=str(context.get("csrf_token") or ""),
        user_pk=user.pk if user is not None and user.is_authenticated else None,
        can_teach=access.can_teach,
        moderation_url=reverse("discussions:moderation", args=[cohort.pk]),
        focused_pk=context.get("focused_pk"),
        locked=context["thread"].locked,
    )


def _safe(markup: jinja2.runtime.Markup | str) -> SafeString:
    return mark_safe(str(markup))


@register.simple_tag(takes_context=True)
def reply_items(context: Context, replies) -> SafeString:
    return _safe(_macros().reply_items(replies, _viewer(context)))


@register.simple_tag(takes_context=True)
def reply_item(context: Context, reply) -> SafeString:
    return _safe(_macros().reply_item(reply, _viewer(context)))


@register.simple_tag(takes_context=True)
def comment_item(context: Context, comment) -> SafeString:
    return _safe(_macros().comment_item(comment, _viewer(context)))


@register.simple_tag(takes_context=True)
def post_markup(context: Context, post) -> SafeString:
    return _safe(_macros().post(post, _viewer(context)))


@register.simple_tag(takes_context=True)
def post_body(context: Context, post) -> SafeString:
    return _safe(_macros().post_body(post, _viewer(context)))


@register.simple_tag(takes_context=True)
def post_reactions(context: Context, post) -> SafeString:
    return _safe(_macros().reactions(post, _viewer(context)))


@register.simple_tag
def post_tools(post) -> SafeString:
    return _safe(_macros().post_tools(post))
