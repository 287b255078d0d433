from django import forms

from sparks.models import CONFIDENCE_CHOICES, Spark, SparkKind


class AnswerForm(forms.Form):
    """Validates the shape of an answer; sparks.answering checks it against the spark.

    A knowledge spark with one correct answer offers radio buttons, one with several correct
    answers checkboxes, so the page itself says whether to pick one or tick all that apply.
    Either way `choices` cleans to a list of choice ids.
    """

    text = forms.CharField(label="Your answer", max_length=5000, required=False, strip=True)
    choices = forms.TypedMultipleChoiceField(
        label="Your answer",
        coerce=int,
        required=False,
        choices=(),
        widget=forms.CheckboxSelectMultiple,
    )
    confidence = forms.TypedChoiceField(
        label="How sure are you?",
        coerce=int,
        required=False,
        empty_value=None,
        choices=CONFIDENCE_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Say how sure you are with one of the four options."},
    )

    def __init__(self, *args, spark: Spark, **kwargs):
        super().__init__(*args, **kwargs)
        self.spark = spark
        # Only a knowledge spark that asks "how sure?" takes an answer to it.
        if not (spark.kind == SparkKind.KNOWLEDGE and spark.ask_confidence):
            del self.fields["confidence"]
        choices = list(spark.choices.all())
        self.several_correct = sum(c.is_correct for c in choices) > 1
        options = [(c.pk, c.text) for c in choices]
        if self.several_correct:
            self.fields["choices"].choices = options
        else:
            self.fields["choices"] = forms.TypedChoiceField(
                label="Your answer",
                coerce=int,
                required=False,
                empty_value=None,
                choices=options,
                widget=forms.RadioSelect,
            )

    def clean_choices(self) -> list[int]:
        picked = self.cleaned_data["choices"]
        if isinstance(picked, int):
            return [picked]
        return list(picked or [])

    def clean(self):
        data = super().clean()
        if self.spark.kind == SparkKind.KNOWLEDGE:
            if "choices" in data and not data["choices"]:
                self.add_error(
                    "choices",
                    "Tick at least one answer." if self.several_correct else "Choose an answer.",
                )
        elif not data.get("text"):
            self.add_error("text", "Write your answer first.")
        return data


class ConfidenceForm(forms.Form):
    """ "How sure were you?", asked after a one-click answer and before the result shows."""

    confidence = forms.TypedChoiceField(
        label="How sure were you?",
        coerce=int,
        choices=CONFIDENCE_CHOICES,
        error_messages={"invalid_choice": "Say how sure you are with one of the four options."},
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
