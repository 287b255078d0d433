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
