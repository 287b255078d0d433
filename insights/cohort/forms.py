"""Forms of the cohort dashboard: they validate and normalise, nothing more."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator

from insights.cohort.results import DEFAULT_QUIET_DAYS


class QuietDaysForm(forms.Form):
    days = forms.IntegerField(
        label="No activity for at least (days)",
        min_value=1,
        max_value=365,
        initial=DEFAULT_QUIET_DAYS,
    )

    def days_or_default(self) -> int:
        return self.cleaned_data["days"] if self.is_valid() else DEFAULT_QUIET_DAYS


class NudgeForm(forms.Form):
    people = forms.TypedMultipleChoiceField(coerce=int, label="Participants to nudge")
    # Made once per page: the same form sent twice is the same nudge.
    nudge_id = forms.CharField(
        widget=forms.HiddenInput,
        validators=[RegexValidator(r"^[0-9a-f]{32}$", "This form is damaged; reload the page.")],
    )

    message = forms.CharField(
        label="Message",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Sent in-app and by email to each person selected; empty sends the suggestion.",
    )

    def __init__(self, *args, participant_ids: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].choices = [(pk, pk) for pk in participant_ids]
        self.fields["people"].error_messages["required"] = "Select at least one participant."
