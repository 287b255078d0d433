from urllib.parse import urlsplit

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import RequestLoginCodeForm as AllauthRequestLoginCodeForm
from django import forms

from sso.models import Protocol
from sso.services import connection_requiring_sso

# Plain HTTP only where nothing leaves the machine: tests and development.
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def _sso_required_error(connection) -> forms.ValidationError:
    return forms.ValidationError(
        f"{connection.organization.name} signs its people in with single sign-on: "
        f"use “Sign in with {connection.name}” instead of a password or a code.",
        code="sso_required",
    )


class LoginForm(AllauthLoginForm):
    """allauth's sign-in form; addresses whose organisation requires SSO are sent there."""

    sso_connection = None

    def clean(self):
        login = (self.cleaned_data.get("login") or "").strip()
        connection = connection_requiring_sso(login) if "@" in login else None
        if connection is not None:
            self.sso_connection = connection
            raise _sso_required_error(connection)
        return super().clean()


class RequestLoginCodeForm(AllauthRequestLoginCodeForm):
    """allauth's "email me a code" form, closed to addresses whose organisation requires SSO."""

    sso_connection = None

    def clean_email(self) -> str:
        email = (self.cleaned_data.get("email") or "").strip()
        connection = connection_requiring_sso(email) if email else None
        if connection is not None:
            self.sso_connection = connection
            raise _sso_required_error(connection)
        return super().clean_email()


class SsoStartForm(forms.Form):
    email = forms.EmailField(label="Your work email address")


def is_https_or_local(url: str) -> bool:
    """An https:// address, or plain HTTP where nothing leaves the machine (`LOCAL_HOSTS`)."""
    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOCAL_HOSTS)


def https_or_local(value: str, what: str) -> str:
    if not is_https_or_local(value):
        raise forms.ValidationError(f"Use an https:// address for the {what}.")
    return value


class StoredSecretForm(forms.Form):
    """A form for a service's credentials whose `secret_field` may be left blank to keep the
    secret already stored (`has_secret`)."""

    secret_field = "secret"

    def __init__(self, *args, has_secret: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_secret = has_secret
        if has_secret:
            self.fields[self.secret_field].help_text = "A secret is stored. Leave blank to keep it."


class SsoConnectionForm(StoredSecretForm):
    secret_field = "client_secret"

    protocol = forms.ChoiceField(
        label="Protocol", choices=Protocol.choices, widget=forms.RadioSelect
    )
    name = forms.CharField(
        label="Button label",
        max_length=40,
        help_text="People see “Sign in with …” this name, e.g. Acme Okta.",
    )
    issuer = forms.URLField(
        label="Issuer URL (OpenID Connect)",
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text="Where /.well-known/openid-configuration lives, e.g. https://login.acme.com.",
    )
    client_id = forms.CharField(label="Client ID (OpenID Connect)", max_length=191, required=False)
    client_secret = forms.CharField(
        label="Client secret (OpenID Connect)",
        max_length=500,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    idp_metadata_url = forms.URLField(
        label="IdP metadata URL (SAML)",
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text="Or leave it blank and give the sign-in URL and certificate below.",
    )
    idp_entity_id = forms.CharField(label="IdP entity ID (SAML)", max_length=500, required=False)
    idp_sso_url = forms.URLField(
        label="IdP sign-in URL (SAML)", max_length=500, required=False, assume_scheme="https"
    )
    idp_certificate = forms.CharField(
        label="IdP signing certificate (SAML, PEM)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    enabled = forms.BooleanField(label="Offer this single sign-on", required=False)
    required = forms.BooleanField(
        label="Require it for our verified domains (password and code sign-in refused)",
        required=False,
    )
    allow_domain_join = forms.BooleanField(
        label="Let people from our verified domains join as participants without an invitation",
        required=False,
    )

    def clean_issuer(self) -> str:
        issuer = self.cleaned_data["issuer"]
        return https_or_local(issuer, "issuer").rstrip("/") if issuer else ""

    def clean_idp_metadata_url(self) -> str:
        url = self.cleaned_data["idp_metadata_url"]
        return https_or_local(url, "metadata URL") if url else ""

    def clean_idp_sso_url(self) -> str:
        url = self.cleaned_data["idp_sso_url"]
        return https_or_local(url, "sign-in URL") if url else ""

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("protocol") == Protocol.OIDC:
            for field in ("issuer", "client_id"):
                if not cleaned.get(field) and field not in self.errors:
                    self.add_error(field, "OpenID Connect needs this.")
            if not cleaned.get("client_secret") and not self.has_secret:
                self.add_error("client_secret", "Enter the client secret the provider gave you.")
        elif cleaned.get("protocol") == Protocol.SAML:
            if not cleaned.get("idp_entity_id"):
                self.add_error("idp_entity_id", "SAML needs the identity provider's entity ID.")
            if not cleaned.get("idp_metadata_url") and "idp_metadata_url" not in self.errors:
                for field in ("idp_sso_url", "idp_certificate"):
                    if not cleaned.get(field) and field not in self.errors:
                        self.add_error(field, "Without a metadata URL, SAML needs this.")
        return cleaned


class SsoDomainForm(forms.Form):
    domain = forms.CharField(
        label="Email domain",
        max_length=253,
        help_text="e.g. acme.com: the part after the @ in your people's addresses.",
    )

    def clean_domain(self) -> str:
        domain = self.cleaned_data["domain"].strip().lower().lstrip("@")
        labels = domain.split(".")
        if len(labels) < 2 or not all(
            label and label.replace("-", "").isalnum() and not label.startswith("-")
            for label in labels
        ):
            raise forms.ValidationError("Give a domain such as acme.com.")
        return domain


class SsoDomainVerifyForm(forms.Form):
    email = forms.EmailField(label="Send the link to")
