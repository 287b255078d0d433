"""Forms validate and normalise; coaching.services writes."""

from __future__ import annotations

import string

from django import forms
from django.core.exceptions import ValidationError

from coaching import services
from coaching.models import Frequency


class CoachForm(forms.Form):
    email = forms.EmailField(
        label="Coach's email address",
        required=False,
        help_text="Their line manager or a mentor. Leave empty to remove the coach.",
    )
    name = forms.CharField(label="Coach's name", max_length=150, required=False)

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())


class BoosterForm(forms.Form):
    starter = forms.CharField(
        label="Conversation starter",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "{name} becomes the person's first name and {objective} the learning objective "
            "their recent answers show they are least sure of."
        ),
    )

    def clean_starter(self) -> str:
        starter = " ".join(self.cleaned_data["starter"].split())
        try:
            parts = [
                (name, spec, conversion)
                for _, name, spec, conversion in string.Formatter().parse(starter)
                if name is not None
            ]
        except ValueError:
            raise ValidationError(
                "A brace is not closed: write {name} or {objective}, or leave braces out."
            ) from None
        unknown = sorted({name for name, _, _ in parts} - set(services.STARTER_FIELDS))
        if unknown:
            raise ValidationError(
                "Only {name} and {objective} are filled in; remove "
                + ", ".join("{" + f + "}" for f in unknown)
                + "."
            )
        # A format spec ({name:>999999999}) would be applied when the prompt is sent.
        if any(spec or conversion for _, spec, conversion in parts):
            raise ValidationError("Write {name} and {objective} as they are, with nothing after.")
        return starter


class ObservationForm(forms.Form):
    """One rating (and an optional note) per learning objective of the cohort."""

    def __init__(self, *args, objectives: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.objectives = objectives
        for index, objective in enumerate(objectives):
            self.fields[f"rating_{index}"] = forms.TypedChoiceField(
                label=objective,
                choices=Frequency.choices,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": "Choose how often you saw this applied."},
            )
            self.fields[f"note_{index}"] = forms.CharField(
                label=f"Note on “{objective}” (optional)",
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [
            (objective, self[f"rating_{i}"], self[f"note_{i}"])
            for i, objective in enumerate(self.objectives)
        ]

    def ratings(self) -> dict[str, tuple[int, str]]:
        return {
            objective: (self.cleaned_data[f"rating_{i}"], self.cleaned_data[f"note_{i}"].strip())
            for i, objective in enumerate(self.objectives)
        }
