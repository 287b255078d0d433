from urllib.parse import urlsplit

from django import forms

# Plain HTTP only to this machine, for development and the tests' fake LRS.
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


class LrsEndpointForm(forms.Form):
    url = forms.URLField(
        label="Endpoint URL",
        max_length=500,
        help_text="The LRS's xAPI endpoint, e.g. https://lrs.example.com/xapi/ "
        "(statements go to its /statements).",
    )
    username = forms.CharField(label="Key or username", max_length=200)
    password = forms.CharField(
        label="Secret or password",
        max_length=500,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Never shown again. Leave empty to keep the one saved.",
    )
    enabled = forms.BooleanField(label="Push statements to this LRS", required=False, initial=True)

    def __init__(self, *args, has_password: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_password = has_password

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        parts = urlsplit(url)
        if parts.scheme != "https" and parts.hostname not in LOCAL_HOSTS:
            raise forms.ValidationError(
                "Use an https:// address: the statements and the secret travel over it."
            )
        if parts.query or parts.fragment:
            raise forms.ValidationError("Give the endpoint without ?query or #fragment.")
        return url

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not password and not self.has_password:
            raise forms.ValidationError("The LRS needs the secret or password that goes with it.")
        return password
