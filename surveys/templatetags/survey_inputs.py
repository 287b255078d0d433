"""Labels the question partial shows next to scale points and confidence levels (presentation)."""

from django import template

from surveys.models import CONFIDENCE_LEVELS, QuestionKind

register = template.Library()

SCALE_ENDS = {
    QuestionKind.LIKERT: ("Strongly disagree", "Strongly agree"),
    QuestionKind.NPS: ("Not at all likely", "Extremely likely"),
}


@register.simple_tag
def confidence_levels() -> list[tuple[str, str]]:
    """(value as the form sends it, label) pairs for “how sure are you?”."""
    return [(str(value), label) for value, label in CONFIDENCE_LEVELS.items()]


@register.simple_tag
def scale_points(question) -> list[tuple[str, str]]:
    """(value as the form sends it, meaning) per point; only the two ends carry a meaning."""
    points = list(question.scale or ())
    low, high = SCALE_ENDS.get(question.kind, ("", ""))
    last = len(points) - 1
    return [(str(p), low if i == 0 else high if i == last else "") for i, p in enumerate(points)]
