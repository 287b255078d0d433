from django import forms
from django.contrib.auth import password_validation

from accounts.models import Membership, Role


class InvitationAcceptForm(forms.Form):
    display_name = forms.CharField(
        label="Your name", max_length=150, help_text="How other participants will see you."
    )
    password1 = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )
    password2 = forms.CharField(
        label="Repeat the password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords differ.")
        elif password1:
            try:
                password_validation.validate_password(password1, self.user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address")
    display_name = forms.CharField(label="Name (optional)", max_length=150, required=False)
    role = forms.ChoiceField(
        label="Role in the organisation", choices=Role.choices, initial=Role.PARTICIPANT
    )

    def __init__(self, *args, organization=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if (
            self.organization is not None
            and Membership.objects.filter(
                organization=self.organization, user__email__iexact=email
            ).exists()
        ):
            raise forms.ValidationError(
                f"{email} is already a member; change their role in the list of members."
            )
        return email


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)
