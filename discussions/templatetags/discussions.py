from django import template
from django.utils.safestring import SafeString

from socialtraining.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """User-written Markdown as sanitised HTML."""
    return render_markdown(text)
