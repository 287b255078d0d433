"""Forms validate and normalise; the services (posting, prompts, moderation...) write."""

from __future__ import annotations

import uuid

from django import forms
from django.core.validators import URLValidator

from cohorts.timeline import OFFSET_ANCHORS, Anchor, validate_timeline_day
from discussions.models import PROMPT_KIND_LABELS, PostKind, ReactionKind, Target

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


class ReactionForm(forms.Form):
    """A post's one reaction form: the button pressed sends its `kind`, and `on` names the kinds
    whose button adds, space-separated (the viewer's own take back), so a resent form changes
    nothing more. `on=1` adds the kind sent."""

    kind = forms.ChoiceField(choices=ReactionKind.choices)
    on = forms.CharField(required=False, max_length=100)

    def clean(self):
        cleaned = super().clean()
        if "kind" in cleaned:
            adds = set(cleaned.get("on", "").split())
            cleaned["on"] = "1" in adds or cleaned["kind"] in adds
        return cleaned


class FlagForm(forms.Form):
    REASONS = [
        ("unkind", "Unkind or disrespectful"),
        ("offtopic", "Off-topic or spam"),
        ("private", "Shares something private or confidential"),
        ("other", "Something else"),
    ]
    reason = forms.ChoiceField(
        choices=REASONS, widget=forms.RadioSelect, label="What is wrong with this post?"
    )
    note = forms.CharField(
        label="Anything the moderator should know? (optional)",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == "other" and not cleaned.get("note", "").strip():
            self.add_error("note", "Please say in a few words what is wrong.")
        return cleaned

    def reason_text(self) -> str:
        """The reason as stored on the flag: its label, then the flagger's words if any."""
        label = dict(self.REASONS)[self.cleaned_data["reason"]]
        note = " ".join(self.cleaned_data["note"].split())
        return f"{label}: {note}" if note else label


class SearchForm(forms.Form):
    q = forms.CharField(label="Search discussions", max_length=200, required=False, strip=True)


DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class PromptForm(forms.Form):
    """A prompt's content and schedule. Times are read in the active zone: the cohort's."""

    kind = forms.ChoiceField(
        label="What kind of prompt?",
        choices=[(kind.value, label) for kind, label in PROMPT_KIND_LABELS.items()],
        initial=PostKind.QUESTION,
        widget=forms.RadioSelect,
    )
    title = forms.CharField(
        max_length=200, help_text="The question itself, the article's title, or a headline."
    )
    url = forms.URLField(
        label="Link to the article",
        max_length=500,
        required=False,
        validators=[URLValidator(schemes=["http", "https"])],
    )
    body = forms.CharField(
        label="Why it matters / your post",
        max_length=BODY_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Markdown works. For an article: why it matters. Optional for a question.",
    )
    quote = forms.CharField(
        label="Quote from the article (optional)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    target = forms.ChoiceField(
        label="Where?", choices=Target.choices, initial=Target.COHORT, widget=forms.RadioSelect
    )
    post_first = forms.BooleanField(
        label="Post before you see replies",
        required=False,
        help_text="Participants see their peers' replies only after posting their own.",
    )
    anchor = forms.ChoiceField(
        label="When?", choices=Anchor.choices, initial=Anchor.NOW, widget=forms.RadioSelect
    )
    at = forms.DateTimeField(
        label="Date and time",
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        validators=[validate_timeline_day],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text="For “at a date and time”.",
    )
    offset_days = forms.IntegerField(
        label="Number of days",
        required=False,
        min_value=0,
        max_value=365,
        help_text="For “days before the first session” or “days after the last session”.",
    )
    release_time = forms.TimeField(
        label="At (local time)",
        required=False,
        initial="09:00",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="For the day counted from a session.",
    )

    def clean(self):
        cleaned = super().clean()
        kind, anchor = cleaned.get("kind"), cleaned.get("anchor")
        if kind == PostKind.ARTICLE and not cleaned.get("url"):
            self.add_error("url", "An article needs its link.")
        if kind in (PostKind.ARTICLE, PostKind.DISCUSSION) and not cleaned.get("body"):
            what = "why the article matters" if kind == PostKind.ARTICLE else "your post"
            self.add_error("body", f"Write {what}.")
        if anchor == Anchor.AT and not cleaned.get("at") and "at" not in self.errors:
            self.add_error("at", "Choose the date and time to publish it.")
        if anchor in OFFSET_ANCHORS:
            if cleaned.get("offset_days") is None and "offset_days" not in self.errors:
                self.add_error("offset_days", "How many days from the session?")
            if not cleaned.get("release_time") and "release_time" not in self.errors:
                self.add_error("release_time", "Choose the local time of day to publish it.")
        return cleaned


class PromptNewForm(IdempotentForm, PromptForm):
    """A new prompt: the key it was rendered with makes a second submit schedule nothing more."""
