from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def metric(value: float | int | None, unit: str = "") -> str:
    """A dashboard number with its unit, or an en dash where there is none yet."""
    if value is None:
        return "\N{EN DASH}"
    return f"{number_format(value)}{unit}"
