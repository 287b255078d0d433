from django import forms

from sso.forms import https_or_local


class LtiPlatformForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100, help_text="e.g. Acme Moodle.")
    issuer = forms.CharField(
        label="Issuer (platform ID)",
        max_length=255,
        help_text="e.g. https://canvas.instructure.com",
    )
    client_id = forms.CharField(label="Client ID", max_length=255)
    deployment_ids = forms.CharField(
        label="Deployment IDs",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line, as the LMS shows them.",
    )
    auth_login_url = forms.URLField(
        label="Authentication request URL (OIDC)", max_length=500, assume_scheme="https"
    )
    auth_token_url = forms.URLField(label="Access token URL", max_length=500, assume_scheme="https")
    key_set_url = forms.URLField(
        label="Public keyset (JWKS) URL", max_length=500, assume_scheme="https"
    )
    auth_audience = forms.CharField(
        label="Access token audience (if the LMS says)", max_length=500, required=False
    )

    def clean_deployment_ids(self) -> list[str]:
        ids = [line.strip() for line in self.cleaned_data["deployment_ids"].splitlines()]
        ids = [value for value in ids if value]
        if not ids:
            raise forms.ValidationError("Give at least one deployment ID.")
        return list(dict.fromkeys(ids))

    def clean_auth_login_url(self) -> str:
        return https_or_local(self.cleaned_data["auth_login_url"], "authentication URL")

    def clean_auth_token_url(self) -> str:
        return https_or_local(self.cleaned_data["auth_token_url"], "token URL")

    def clean_key_set_url(self) -> str:
        return https_or_local(self.cleaned_data["key_set_url"], "keyset URL")


class DeepLinkChoiceForm(forms.Form):
    """What to place in the course: `cohort:<cohort>`, `sparks:<cohort>` or
    `round:<cohort>:<round>`."""

    choice = forms.CharField()

    def clean_choice(self) -> tuple[str, int, int | None]:
        kind, *ids = self.cleaned_data["choice"].split(":")
        expected = 2 if kind == "round" else 1
        if kind not in ("cohort", "round", "sparks") or len(ids) != expected:
            raise forms.ValidationError("Choose what to add to the course.")
        if not all(value.isdigit() for value in ids):
            raise forms.ValidationError("Choose what to add to the course.")
        cohort_pk, round_pk = int(ids[0]), int(ids[1]) if kind == "round" else None
        return kind, cohort_pk, round_pk
