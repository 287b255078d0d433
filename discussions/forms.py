"""Forms validate and normalise; discussions.services writes."""

from __future__ import annotations

import uuid

from django import forms
from django.core.validators import URLValidator

from discussions.models import PostKind, ReactionKind

BODY_MAX_LENGTH = 20_000


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class IdempotentForm(forms.Form):
    # Generated when the form is rendered: a double click or a resend of it makes one post.
    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", new_idempotency_key())


class ThreadForm(IdempotentForm):
    kind = forms.ChoiceField(
        choices=[
            (k.value, k.label) for k in (PostKind.DISCUSSION, PostKind.QUESTION, PostKind.ARTICLE)
        ],
        initial=PostKind.DISCUSSION,
        widget=forms.RadioSelect,
        label="What are you posting?",
    )
    title = forms.CharField(max_length=200)
    url = forms.URLField(
        label="Link to the article",
        max_length=500,
        required=False,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="For a shared article: where to read it.",
    )
    body = forms.CharField(
        label="Your post",
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6, "data-mentions": ""}),
        help_text=(
            "Markdown works: **bold**, _italic_, [links](https://example.com), lists. "
            "Mention someone with @[Their Name]."
        ),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == PostKind.ARTICLE and not cleaned.get("url"):
            self.add_error("url", "A shared article needs its link.")
        return cleaned


class PostForm(IdempotentForm):
    body = forms.CharField(
        label="Your reply",
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "data-mentions": ""}),
    )


class CommentForm(IdempotentForm):
    body = forms.CharField(
        label="Your comment",
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "data-mentions": ""}),
    )


class PostEditForm(forms.Form):
    body = forms.CharField(
        label="Your post",
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class SwitchForm(forms.Form):
    """The state a button asks for (on or off), so a resent form does not flip it back."""

    on = forms.BooleanField(required=False)


class ReactionForm(SwitchForm):
    kind = forms.ChoiceField(choices=ReactionKind.choices)
