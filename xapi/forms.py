from urllib.parse import urlsplit

from django import forms

# Plain HTTP only where nothing leaves the machine: tests and development.
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


class LrsConfigForm(forms.Form):
    endpoint = forms.URLField(
        label="LRS endpoint",
        max_length=500,
        assume_scheme="https",
        help_text="The xAPI base URL; statements are sent to its /statements resource.",
    )
    username = forms.CharField(label="Key or username", max_length=200)
    secret = forms.CharField(
        label="Secret or password",
        max_length=500,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    enabled = forms.BooleanField(label="Send statements to this LRS", required=False)

    def __init__(self, *args, has_secret: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_secret = has_secret
        if has_secret:
            self.fields["secret"].help_text = "A secret is stored. Leave blank to keep it."

    def clean_endpoint(self) -> str:
        endpoint = self.cleaned_data["endpoint"]
        parts = urlsplit(endpoint)
        if parts.scheme != "https" and not (
            parts.scheme == "http" and parts.hostname in LOCAL_HOSTS
        ):
            raise forms.ValidationError(
                "Use an https:// address: the key and secret travel with every request."
            )
        if parts.query or parts.fragment:
            raise forms.ValidationError("Give the endpoint without ?query or #fragment.")
        return endpoint.rstrip("/")

    def clean_secret(self) -> str:
        secret = self.cleaned_data["secret"]
        if not secret and not self.has_secret:
            raise forms.ValidationError("Enter the secret or password the LRS gave you.")
        return secret
