"""Forms validate and normalise; surveys.building, surveys.rounds and surveys.answering write."""

from __future__ import annotations

import re
from datetime import time

from django import forms
from django.core.exceptions import ValidationError

from cohorts.models import Cohort
from cohorts.timeline import Anchor, local_moment, validate_timeline_day
from surveys.models import Purpose, QuestionKind, Round, Survey
from surveys.rounds import RoundPlan
from surveys.starters import STARTERS

# Building and scheduling.

START_COPY, START_BLANK = "copy", "blank"


class SurveyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Survey) -> str:
        return f"{obj} · {obj.cohort.name}"


class SurveyStartForm(forms.Form):
    """How a new survey starts: a built-in starter, a copy of another cohort's survey, or blank."""

    start = forms.ChoiceField(
        choices=[(s.key, s.title) for s in STARTERS.values()]
        + [(START_COPY, "Copy a survey"), (START_BLANK, "Blank survey")],
        widget=forms.RadioSelect,
        initial="reaction",
    )
    title = forms.CharField(
        max_length=200,
        required=False,
        help_text="Leave empty to keep the starter's or the copied survey's title.",
    )
    purpose = forms.ChoiceField(
        choices=Purpose.choices,
        initial=Purpose.REACTION,
        required=False,
        label="Purpose of a blank survey",
        help_text="Starters and copies keep their own purpose.",
    )
    copy_from = SurveyChoiceField(
        queryset=Survey.objects.none(),
        required=False,
        label="Survey to copy",
        empty_label="Choose a survey",
    )

    def __init__(self, *args, copyable, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["copy_from"].queryset = copyable.select_related("cohort").order_by(
            "cohort__name", "title", "-version"
        )

    def clean_title(self) -> str:
        return self.cleaned_data["title"].strip()

    def clean_purpose(self) -> str:
        return self.cleaned_data["purpose"] or Purpose.REACTION

    def clean(self):
        data = super().clean()
        start = data.get("start")
        if start == START_COPY and not data.get("copy_from"):
            self.add_error("copy_from", "Choose the survey to copy.")
        if start == START_BLANK and not data.get("title"):
            self.add_error("title", "Give the blank survey a title.")
        return data


class SurveySettingsForm(forms.Form):
    title = forms.CharField(max_length=200)
    intro = forms.CharField(
        label="Introduction",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown above the questions.",
    )
    purpose = forms.ChoiceField(choices=Purpose.choices)
    anonymous = forms.BooleanField(
        required=False,
        label="Anonymous",
        help_text=Survey._meta.get_field("anonymous").help_text,
    )
    show_feedback = forms.BooleanField(
        required=False,
        label="Show score and explanations after submitting",
        help_text="For knowledge questions: each person sees their score and the explanations.",
    )

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not title:
            raise ValidationError("Give the survey a title.")
        return title

    def clean_intro(self) -> str:
        return self.cleaned_data["intro"].strip()


def survey_settings_initial(survey: Survey) -> dict:
    return {
        "title": survey.title,
        "intro": survey.intro,
        "purpose": survey.purpose,
        "anonymous": survey.anonymous,
        "show_feedback": survey.show_feedback,
    }


class QuestionForm(forms.Form):
    """One question of a known kind; its choices come in a ChoiceFormSet checked by `clean_with`."""

    text = forms.CharField(label="Question", max_length=500)
    help_text = forms.CharField(
        label="Hint (optional)",
        max_length=300,
        required=False,
        help_text="Shown under the question.",
    )
    required = forms.BooleanField(label="An answer is required", required=False, initial=True)
    multiple_correct = forms.BooleanField(
        label="Several answers are correct (participants tick all that apply)", required=False
    )
    ask_confidence = forms.BooleanField(
        label="Ask “how sure are you?” (guessing, not sure, fairly sure, certain)", required=False
    )
    explanation = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown after answering, when the survey shows feedback.",
    )
    objective = forms.CharField(
        label="Learning objective (optional)",
        max_length=200,
        required=False,
        help_text="What this question tests, so results show which objective fades first.",
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind != QuestionKind.KNOWLEDGE:
            for name in ("multiple_correct", "ask_confidence", "explanation", "objective"):
                del self.fields[name]

    @property
    def has_choices(self) -> bool:
        return self.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.KNOWLEDGE)

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise ValidationError("Write the question.")
        return text

    def clean_with(self, choices: ChoiceFormSet) -> bool:
        """Validate the question together with its choices; True when both are valid."""
        valid = self.is_valid()
        if not self.has_choices:
            return valid
        if not choices.is_valid():
            return False
        given = choices.choices(keep_correct=self.kind == QuestionKind.KNOWLEDGE)
        texts = [text.casefold() for text, _ in given]
        if len(given) < 2:
            self.add_error(None, "Give at least two choices.")
        elif len(set(texts)) < len(texts):
            self.add_error(None, "Each choice must be different: two choices have the same text.")
        if self.kind == QuestionKind.KNOWLEDGE:
            correct = sum(is_correct for _, is_correct in given)
            several = self.cleaned_data.get("multiple_correct") if valid else False
            if correct == 0:
                self.add_error(None, "Tick the correct answer: a knowledge question needs one.")
            elif correct > 1 and not several:
                self.add_error(
                    None,
                    "Tick exactly one correct answer, or choose “Several answers are correct”.",
                )
        self.choice_list = given
        return not self.errors

    def question_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": self.kind,
            "text": data["text"],
            "help_text": data["help_text"].strip(),
            "required": data["required"],
            "multiple_correct": data.get("multiple_correct", False),
            "ask_confidence": data.get("ask_confidence", False),
            "explanation": data.get("explanation", "").strip(),
            "objective": data.get("objective", "").strip(),
        }


class ChoiceForm(forms.Form):
    text = forms.CharField(label="Choice", max_length=300, required=False)
    is_correct = forms.BooleanField(label="Correct", required=False)


class BaseChoiceFormSet(forms.BaseFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        # Every row is read, even one equal to its initial value: an unchanged choice is kept.
        form.empty_permitted = False
        return form

    def choices(self, *, keep_correct: bool) -> list[tuple[str, bool]]:
        """The filled-in rows in order; empty rows are left out (a tick on one is meaningless)."""
        rows = []
        for form in self.forms:
            text = (form.cleaned_data.get("text") or "").strip()
            if text:
                rows.append((text, bool(form.cleaned_data.get("is_correct")) and keep_correct))
        return rows


ChoiceFormSet = forms.formset_factory(
    ChoiceForm, formset=BaseChoiceFormSet, extra=3, max_num=20, validate_max=True
)


# Rounds: presets for the usual points of a cohort's timeline.
ROUND_PRESETS = {
    "before": (Anchor.BEFORE_FIRST, 7, "Before the workshop"),
    "after": (Anchor.AFTER_LAST, 0, "Right after"),
    "plus30": (Anchor.AFTER_LAST, 30, "+30 days"),
    "plus60": (Anchor.AFTER_LAST, 60, "+60 days"),
    "plus90": (Anchor.AFTER_LAST, 90, "+90 days"),
}
WHEN_CUSTOM, WHEN_AT = "custom", "at"
GENERATED_LABEL = re.compile(r"Before the workshop|Right after|\+\d+ days|\d+ days before")


class RoundForm(forms.Form):
    when = forms.ChoiceField(
        label="When it opens",
        choices=[
            ("before", "Before the workshop: 7 days before the first session"),
            ("after", "Right after: when the last session ends"),
            ("plus30", "+30 days after the last session"),
            ("plus60", "+60 days after the last session"),
            ("plus90", "+90 days after the last session"),
            (WHEN_CUSTOM, "A number of days before or after the workshop"),
            (WHEN_AT, "On a date"),
        ],
        widget=forms.RadioSelect,
        initial="after",
    )
    custom_days = forms.IntegerField(label="Days", min_value=0, max_value=730, required=False)
    custom_anchor = forms.ChoiceField(
        label="Counted from",
        choices=[
            (Anchor.AFTER_LAST, "after the last session"),
            (Anchor.BEFORE_FIRST, "before the first session"),
        ],
        initial=Anchor.AFTER_LAST,
        required=False,
    )
    on_date = forms.DateField(
        label="Date",
        required=False,
        input_formats=["%Y-%m-%d"],
        validators=[validate_timeline_day],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    at_time = forms.TimeField(
        label="Local time",
        input_formats=["%H:%M", "%H:%M:%S"],
        initial=time(9, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    open_days = forms.IntegerField(
        label="Open for (days)",
        min_value=1,
        max_value=180,
        initial=14,
        help_text="Answers are taken until then; the round closes itself.",
    )
    remind_after_days = forms.IntegerField(
        label="Remind after (days, optional)",
        min_value=1,
        max_value=179,
        initial=3,
        required=False,
        help_text="One reminder to those who have not answered. Leave empty for no reminder.",
    )
    label = forms.CharField(
        max_length=100,
        required=False,
        help_text="Leave empty for a name from the choice above, such as “Right after”.",
    )

    def __init__(self, *args, cohort: Cohort, **kwargs):
        super().__init__(*args, **kwargs)
        self.cohort = cohort

    def clean(self):
        data = super().clean()
        when, at = data.get("when"), data.get("at_time")
        if when in ROUND_PRESETS:
            data["anchor"], data["offset_days"], label = ROUND_PRESETS[when]
        elif when == WHEN_CUSTOM:
            days = data.get("custom_days")
            if days is None:
                self.add_error("custom_days", "Say how many days before or after the workshop.")
                return data
            data["anchor"], data["offset_days"] = data.get("custom_anchor"), days
            if data["anchor"] == Anchor.BEFORE_FIRST:
                label = f"{days} days before"
            else:
                label = "Right after" if days == 0 else f"+{days} days"
        elif when == WHEN_AT:
            if data.get("on_date") is None:
                if "on_date" not in self.errors:
                    self.add_error("on_date", "Choose the date the round opens.")
                return data
            data["anchor"], data["offset_days"] = Anchor.AT, 0
            label = f"{data['on_date']:%d %B %Y}".lstrip("0")
        else:
            return data
        data["opens_at"] = (
            local_moment(self.cohort, data["on_date"], at) if when == WHEN_AT and at else None
        )
        data["label"] = (data.get("label") or "").strip() or label
        remind, open_days = data.get("remind_after_days"), data.get("open_days")
        if remind and open_days and remind >= open_days:
            self.add_error(
                "remind_after_days",
                f"The round is open for {open_days} days, so a reminder after {remind} days would "
                "never be sent. Choose fewer days, or leave it empty for no reminder.",
            )
        return data

    def round_plan(self) -> RoundPlan:
        data = self.cleaned_data
        return RoundPlan(
            label=data["label"],
            anchor=data["anchor"],
            offset_days=data["offset_days"],
            release_time=data["at_time"],
            opens_at=data["opens_at"],
            open_days=data["open_days"],
            remind_after_days=data.get("remind_after_days"),
        )


def round_initial(round_: Round) -> dict:
    """The form's values for an existing round, preset when it matches one."""
    when = next(
        (
            key
            for key, (anchor, days, _) in ROUND_PRESETS.items()
            if (anchor, days) == (round_.anchor, round_.offset_days)
        ),
        WHEN_AT if round_.anchor == Anchor.AT else WHEN_CUSTOM,
    )
    local_open = round_.opens_at.astimezone(round_.cohort.tz)
    return {
        "when": when,
        "custom_days": round_.offset_days,
        "custom_anchor": round_.anchor if round_.anchor != Anchor.AT else Anchor.AFTER_LAST,
        "on_date": local_open.date(),
        "at_time": local_open.time() if round_.anchor == Anchor.AT else round_.release_time,
        # Counted on the cohort's wall clock: a daylight-saving change makes one day 23 hours.
        "open_days": (
            round_.closes_at.astimezone(round_.cohort.tz).date() - local_open.date()
        ).days,
        "remind_after_days": round_.remind_after_days,
        # A name that only repeats the point in time is left empty, so it follows a new choice.
        "label": "" if GENERATED_LABEL.fullmatch(round_.label) else round_.label,
    }
