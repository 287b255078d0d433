from urllib.parse import urlsplit

from django import forms

from sso.forms import StoredSecretForm, is_https_or_local


class LrsConfigForm(StoredSecretForm):
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

    def clean_endpoint(self) -> str:
        endpoint = self.cleaned_data["endpoint"]
        if not is_https_or_local(endpoint):
            raise forms.ValidationError(
                "Use an https:// address: the key and secret travel with every request."
            )
        parts = urlsplit(endpoint)
        if parts.query or parts.fragment:
            raise forms.ValidationError("Give the endpoint without ?query or #fragment.")
        return endpoint.rstrip("/")

    def clean_secret(self) -> str:
        secret = self.cleaned_data["secret"]
        if not secret and not self.has_secret:
            raise forms.ValidationError("Enter the secret or password the LRS gave you.")
        return secret
