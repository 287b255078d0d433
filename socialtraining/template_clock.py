"""Template filters that read the project clock, loaded as builtins in every template.

They replace Django's `timesince` and `timeuntil` of the same names, which read the wall clock, so
"3 hours ago" agrees with the moment the rest of the page was computed at.
"""

from datetime import datetime

from django import template
from django.utils import timesince as django_timesince

from socialtraining import clock

register = template.Library()


@register.filter(is_safe=False)
def timesince(value: datetime | None, arg: datetime | None = None) -> str:
    if not value:
        return ""
    try:
        return django_timesince.timesince(value, arg or clock.now())
    except (ValueError, TypeError):
        return ""


@register.filter(is_safe=False)
def timeuntil(value: datetime | None, arg: datetime | None = None) -> str:
    if not value:
        return ""
    try:
        return django_timesince.timeuntil(value, arg or clock.now())
    except (ValueError, TypeError):
        return ""
