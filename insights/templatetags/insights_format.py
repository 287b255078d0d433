from datetime import datetime, timedelta

from django import template
from django.utils.formats import number_format
from django.utils.timesince import timesince

from socialtraining import clock

register = template.Library()


@register.filter
def metric(value: float | int | None, unit: str = "") -> str:
    """A dashboard number with its unit, or an en dash where there is none yet."""
    if value is None:
        return "\N{EN DASH}"
    return f"{number_format(value)}{unit}"


@register.filter
def updated_ago(moment: datetime | None) -> str:
    """ "just now" under a minute, else "12 minutes ago", for the freshness labels."""
    if moment is None:
        return ""
    if clock.now() - moment < timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment, clock.now())} ago"
