"""Forms validate and normalise; the services in cohorts.services write."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import Organization, User
from cohorts.models import Cohort, StudyGroup, validate_time_zone
from cohorts.timeline import validate_timeline_day

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


@cache
def time_zone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones())


class InstructorChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.name} ({obj.email})"


class CohortForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    time_zone = forms.CharField(
        max_length=64,
        initial="Europe/London",
        validators=[validate_time_zone],
        help_text="An IANA name such as Europe/Paris; session times are entered in this zone.",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )
    instructors = InstructorChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Members of the organisation; participants among them become instructors.",
    )

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instructors"].queryset = User.objects.filter(
            memberships__organization=organization
        ).order_by("display_name", "email")
        self.time_zone_names = time_zone_names()

    def clean_time_zone(self) -> str:
        return self.cleaned_data["time_zone"].strip()


class SessionForm(forms.Form):
    """Times are naive in the form and made aware in the cohort's zone (the active time zone)."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    title = forms.CharField(max_length=200, required=False)
    starts_at = forms.DateTimeField(
        label="Starts",
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        validators=[validate_timeline_day],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    ends_at = forms.DateTimeField(
        label="Ends",
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        validators=[validate_timeline_day],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    location = forms.CharField(max_length=200, required=False)

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", "The session must end after it starts.")
        return data


class BaseSessionFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not self.sessions():
            raise ValidationError("Add at least one workshop session.")

    def sessions(self) -> list[dict]:
        """The kept sessions' data, for cohort_sessions_set."""
        return [
            f.cleaned_data
            for f in self.forms
            if f.cleaned_data
            and not f.cleaned_data.get("DELETE")
            and f.cleaned_data.get("starts_at")
        ]


SessionFormSet = forms.formset_factory(
    SessionForm, formset=BaseSessionFormSet, extra=2, can_delete=True
)


def session_initial(cohort: Cohort) -> list[dict]:
    return [
        {
            "id": s.pk,
            "title": s.title,
            "starts_at": s.starts_at,
            "ends_at": s.ends_at,
            "location": s.location,
        }
        for s in cohort.sessions.all()
    ]


class EnrolForm(forms.Form):
    email = forms.EmailField()
    name = forms.CharField(max_length=150, required=False)

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label="Roster CSV",
        help_text=(
            "Columns email, name and optionally group, coach_email and coach_name, with a "
            "header row, separated by commas or semicolons."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise ValidationError("The file is larger than 5 MB; split it into smaller files.")
        return upload


class StudyGroupForm(forms.Form):
    name = forms.CharField(max_length=100)

    def __init__(self, *args, cohort: Cohort, study_group: StudyGroup | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cohort = cohort
        self.study_group = study_group

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        taken = StudyGroup.objects.filter(cohort=self.cohort, name=name)
        if self.study_group is not None:
            taken = taken.exclude(pk=self.study_group.pk)
        if taken.exists():
            raise ValidationError(f"There is already a study group called “{name}”.")
        return name


class SplitForm(forms.Form):
    size = forms.IntegerField(label="People per group", min_value=2, max_value=50, initial=5)


class MoveForm(forms.Form):
    study_group = forms.ModelChoiceField(
        queryset=StudyGroup.objects.none(), required=False, empty_label="No group"
    )

    def __init__(self, *args, cohort: Cohort, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["study_group"].queryset = StudyGroup.objects.filter(cohort=cohort)
