"""Forms validate and normalise the dashboard's GET parameters; the queries live elsewhere."""

from __future__ import annotations

from django import forms

from cohorts.models import Phase

# The cohort table's sortable columns: parameter -> rollup field.
SORTS = {
    "name": "cohort__name",
    "phase": "phase",
    "start": "first_session_start",
    "participants": "participants",
    "participation": "participation_percent",
    "posts": "posts_per_participant",
    "responses": "response_rate_percent",
    "nps": "nps",
    "after": "knowledge_after_percent",
    "latest": "knowledge_latest_percent",
    "retained": "retained_percent",
    "sparks": "spark_answer_rate_percent",
    "coached": "coached_percent",
}
DEFAULT_SORT = "-start"
COMPARE_MIN, COMPARE_MAX = 2, 4


class CohortFilterForm(forms.Form):
    phase = forms.ChoiceField(choices=[("", "Any phase"), *Phase.choices], required=False)
    instructor = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    starts_from = forms.DateField(
        label="Workshop from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    starts_until = forms.DateField(
        label="Workshop until", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(
        choices=[(s, s) for key in SORTS for s in (key, f"-{key}")],
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, instructors: list = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instructor"].choices = [("", "Any instructor")] + [
            (person.pk, person.name) for person in instructors
        ]

    def clean(self) -> dict:
        data = super().clean()
        start, until = data.get("starts_from"), data.get("starts_until")
        if start and until and until < start:
            self.add_error("starts_until", "The end of the range is before its start.")
            # A backwards range filters nothing until it is fixed.
            data.pop("starts_from", None)
        return data

    @property
    def sort_key(self) -> str:
        # Valid fields stay in cleaned_data, so a bad date range keeps the chosen sort.
        self.is_valid()
        return self.cleaned_data.get("sort") or DEFAULT_SORT


class CohortIdsField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value: list[str] | None) -> list[int]:
        if not value:
            return []
        if not all(str(v).isdigit() for v in value):
            raise forms.ValidationError("Pick cohorts from the table.")
        # Any id is accepted here; the access layer turns another organisation's into a 404.
        return list(dict.fromkeys(int(v) for v in value))


class CompareForm(forms.Form):
    cohort = CohortIdsField(required=False)

    def clean_cohort(self) -> list[int]:
        ids = self.cleaned_data["cohort"]
        if not COMPARE_MIN <= len(ids) <= COMPARE_MAX:
            raise forms.ValidationError(
                f"Tick between {COMPARE_MIN} and {COMPARE_MAX} cohorts to compare them."
            )
        return ids
