from django import forms

from sparks.models import CONFIDENCE_CHOICES


class AnswerForm(forms.Form):
    """Validates the shape of an answer; sparks.services checks it against the spark."""

    text = forms.CharField(label="Your answer", max_length=5000, required=False, strip=True)
    choices = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=())
    confidence = forms.TypedChoiceField(
        label="How sure are you?",
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", "—"), *CONFIDENCE_CHOICES],
    )

    def __init__(self, *args, spark=None, **kwargs):
        super().__init__(*args, **kwargs)
        if spark is not None:
            self.fields["choices"].choices = [(c.pk, c.text) for c in spark.choices.all()]


class ConfidenceForm(forms.Form):
    """ "How sure were you?", asked after a one-click answer and before the result shows."""

    confidence = forms.TypedChoiceField(
        label="How sure were you?", coerce=int, choices=CONFIDENCE_CHOICES
    )


class PauseForm(forms.Form):
    """A vacation hold: for a number of days, or until a date (sparks come back on that date)."""

    days = forms.IntegerField(label="Pause for (days)", min_value=1, max_value=120, required=False)
    until = forms.DateField(
        label="Or pause until (sparks come back on this date)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        data = super().clean()
        days, until = data.get("days"), data.get("until")
        if self.errors:
            return data
        if bool(days) == bool(until):
            raise forms.ValidationError("Give either a number of days or a date, not both.")
        if until is not None and self.today is not None:
            if until <= self.today:
                raise forms.ValidationError("Choose a date after today.")
            if (until - self.today).days > 120:
                raise forms.ValidationError("A hold lasts at most 120 days.")
        return data
