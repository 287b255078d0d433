"""Instructor forms for the spark plan: they validate and normalise; sparks.planning writes."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from sparks.models import RepeatMode, SparkKind, SparkSchedule, SparkTarget
from surveys.forms import ChoiceFormSet

MAX_OFFSET_DAYS = 730
WEEKDAYS = [
    ("1", "Mon"),
    ("2", "Tue"),
    ("3", "Wed"),
    ("4", "Thu"),
    ("5", "Fri"),
    ("6", "Sat"),
    ("7", "Sun"),
]
# What each repeat mode does, in the words the settings page shows.
REPEAT_MODE_HELP = {
    RepeatMode.UNTIL_MASTERED: (
        "A knowledge spark answered wrongly, unsurely or not at all comes back after 3 days; "
        "one answered well comes back after 7 days, until the participant has answered it "
        "correctly (and sure of it) twice. Then it retires as mastered."
    ),
    RepeatMode.MISSED: (
        "A knowledge spark answered wrongly or not at all comes back once, 3 days later. "
        "A right answer retires it."
    ),
    RepeatMode.NONE: "Every spark is asked once. Nothing comes back.",
}


class OffsetField(forms.IntegerField):
    def __init__(self, **kwargs):
        super().__init__(
            label="Days after the workshop's last session",
            min_value=0,
            max_value=MAX_OFFSET_DAYS,
            help_text="Each participant gets it that day, inside the cohort's send window.",
            **kwargs,
        )


class SparkForm(forms.Form):
    """One spark; a knowledge spark's choices come in a ChoiceFormSet checked by `clean_with`."""

    kind = forms.ChoiceField(
        label="Kind of question",
        choices=SparkKind.choices,
        widget=forms.RadioSelect,
        initial=SparkKind.OPEN,
    )
    question = forms.CharField(
        max_length=500, widget=forms.Textarea(attrs={"rows": 3}), label="Question"
    )
    objective = forms.CharField(
        label="Learning objective (optional)",
        max_length=200,
        required=False,
        help_text="What this spark reinforces, such as “Giving feedback”.",
    )
    offset_days = OffsetField()
    target = forms.ChoiceField(
        label="Who answers, and where the answers are discussed",
        choices=SparkTarget.choices,
        widget=forms.RadioSelect,
        initial=SparkTarget.COHORT,
    )
    ask_confidence = forms.BooleanField(
        label="Ask “how sure are you?” (guessing, not sure, fairly sure, certain)",
        required=False,
    )
    explanation = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Knowledge questions: shown after answering, with right or wrong.",
    )

    def clean_question(self) -> str:
        question = self.cleaned_data["question"].strip()
        if not question:
            raise ValidationError("Write the question.")
        return question

    def clean_objective(self) -> str:
        return self.cleaned_data["objective"].strip()

    def clean_explanation(self) -> str:
        return self.cleaned_data["explanation"].strip()

    def clean_with(self, choices: ChoiceFormSet) -> bool:
        """Validate the spark with its choices (read only for a knowledge question)."""
        valid = self.is_valid()
        self.choice_list = []
        if not valid or self.cleaned_data["kind"] != SparkKind.KNOWLEDGE:
            return valid
        if not choices.is_valid():
            return False
        given = choices.choices(keep_correct=True)
        texts = [text.casefold() for text, _ in given]
        if len(given) < 2:
            self.add_error(None, "Give at least two choices.")
        elif len(set(texts)) < len(texts):
            self.add_error(None, "Each choice must be different: two choices have the same text.")
        elif not any(correct for _, correct in given):
            self.add_error(
                None, "Tick the correct answer: a knowledge question needs at least one."
            )
        self.choice_list = given
        return not self.errors

    def spark_fields(self) -> dict:
        data = self.cleaned_data
        knowledge = data["kind"] == SparkKind.KNOWLEDGE
        return {
            "kind": data["kind"],
            "question": data["question"],
            "objective": data["objective"],
            "target": data["target"],
            "ask_confidence": data["ask_confidence"] and knowledge,
            "explanation": data["explanation"],
        }


class RescheduleForm(forms.Form):
    offset_days = OffsetField()


class SparkScheduleForm(forms.Form):
    window_start = forms.TimeField(
        label="Earliest time",
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    window_end = forms.TimeField(
        label="Latest time",
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    weekdays = forms.MultipleChoiceField(
        label="Days sparks may arrive",
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
    )
    repeat_mode = forms.ChoiceField(
        label="Repeats of knowledge sparks",
        choices=RepeatMode.choices,
        widget=forms.RadioSelect,
    )

    def clean_weekdays(self) -> str:
        return "".join(sorted(self.cleaned_data["weekdays"]))

    def clean(self):
        data = super().clean()
        start, end = data.get("window_start"), data.get("window_end")
        if start and end and end <= start:
            self.add_error(
                "window_end",
                f"The latest time must come after the earliest ({start:%H:%M}).",
            )
        return data


def schedule_initial(schedule: SparkSchedule) -> dict:
    return {
        "window_start": schedule.window_start,
        "window_end": schedule.window_end,
        "weekdays": list(schedule.weekdays),
        "repeat_mode": schedule.repeat_mode,
    }
