"""Forms validate and normalise; notifications.services writes."""

from django import forms

from notifications.models import NotificationPreference


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = list(NotificationPreference.FIELDS.values())
        widgets = {name: forms.RadioSelect for name in fields}
