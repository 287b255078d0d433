"""Template filters that read the project clock, loaded as builtins in every template.

They replace Django's `timesince` and `timeuntil` of the same names, which read the wall clock, so
"3 hours ago" agrees with the moment the rest of the page was computed at.
"""

from datetime import datetime

from django import template
from django.utils import timesince as django_timesince

from socialtraining import clock

register = template.Library()


def _measured(measure, value: datetime | None, arg: datetime | None) -> str:
    """Django's `measure` between `value` and `arg` (the project clock's now by default), as
    Django's filters give it: empty for no value or one it cannot measure."""
    if not value:
        return ""
    try:
        return measure(value, arg or clock.now())
    except (ValueError, TypeError):
        return ""


@register.filter(is_safe=False)
def timesince(value: datetime | None, arg: datetime | None = None) -> str:
    return _measured(django_timesince.timesince, value, arg)


@register.filter(is_safe=False)
def timeuntil(value: datetime | None, arg: datetime | None = None) -> str:
    return _measured(django_timesince.timeuntil, value, arg)
