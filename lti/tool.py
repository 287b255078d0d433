"""pylti1p3's view of our registrations: platforms come from `LtiPlatform` rows.

An issuer (say, one Canvas instance) may register the tool several times, once per organisation,
so registrations are looked up by issuer *and* client id.
"""

from __future__ import annotations

import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from pylti1p3.deployment import Deployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract

from lti.models import LtiPlatform
from socialtraining import encryption


def tool_key_pair() -> tuple[str, str]:
    """A new RSA key for the tool: (encrypted private PEM, key id)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    kid = JWK.from_pem(pem.encode()).thumbprint()
    return encryption.encrypt(pem), kid


def public_jwk(platform: LtiPlatform) -> dict:
    jwk = json.loads(JWK.from_pem(platform.tool_private_key().encode()).export_public())
    return {**jwk, "kid": platform.tool_key_id, "alg": "RS256", "use": "sig"}


class PlatformRegistration(Registration):
    """A registration that signs with the platform's own tool key, named by its key id."""

    def __init__(self, platform: LtiPlatform):
        super().__init__()
        self.platform = platform
        self.set_issuer(platform.issuer)
        self.set_client_id(platform.client_id)
        self.set_auth_login_url(platform.auth_login_url)
        self.set_auth_token_url(platform.auth_token_url)
        self.set_key_set_url(platform.key_set_url)
        if platform.auth_audience:
            self.set_auth_audience(platform.auth_audience)
        self.set_tool_private_key(platform.tool_private_key())

    def get_kid(self) -> str:
        return self.platform.tool_key_id

    def get_jwks(self) -> list[dict]:
        return [public_jwk(self.platform)]


class PlatformToolConf(ToolConfAbstract):
    def __init__(self) -> None:
        super().__init__()
        self._found: dict[tuple[str, str | None], LtiPlatform | None] = {}

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def platform(self, iss: str, client_id: str | None) -> LtiPlatform | None:
        key = (iss, client_id)
        if key not in self._found:
            platforms = LtiPlatform.objects.select_related("organization").filter(issuer=iss)
            if client_id:
                platforms = platforms.filter(client_id=client_id)
            # Without a client id (some login requests) only an issuer registered once is known.
            found = list(platforms[:2])
            self._found[key] = found[0] if len(found) == 1 else None
        return self._found[key]

    def find_registration_by_issuer(self, iss: str, *args, **kwargs) -> Registration | None:
        platform = self.platform(iss, None)
        return PlatformRegistration(platform) if platform else None

    def find_registration_by_params(
        self, iss: str, client_id: str | None, *args, **kwargs
    ) -> Registration | None:
        platform = self.platform(iss, client_id)
        return PlatformRegistration(platform) if platform else None

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str | None, *args, **kwargs
    ) -> Deployment | None:
        platform = self.platform(iss, client_id)
        if platform is None or deployment_id not in platform.deployment_ids:
            return None
        return Deployment().set_deployment_id(deployment_id)
