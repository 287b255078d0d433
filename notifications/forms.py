"""Forms validate and normalise; notifications.services writes."""

from django import forms

from notifications.models import NotificationPreference


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["daily_digest", "reply_emails", "mention_emails"]
        help_texts = {
            "daily_digest": "One email a day (around 07:00 UTC) with new replies in threads you "
            "follow and new prompts in your cohorts, only when there is something new.",
        }
