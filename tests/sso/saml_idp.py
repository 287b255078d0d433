"""A real SAML 2.0 identity provider in the test process: pysaml2's `Server`.

It reads the AuthnRequest our service provider sends (HTTP-Redirect binding), and answers with a
Response whose assertion it signs with its own freshly generated key (xmlsec1 does the signing),
as Okta or Entra ID would. The knobs make the bad answers a real IdP or an attacker could send.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS
from saml2.server import Server

ENTITY_ID = "https://idp.acme.test/saml"
SSO_URL = "https://idp.acme.test/saml/sso"


def self_signed(common_name: str, folder: Path) -> tuple[Path, Path, str]:
    """A key and a self-signed certificate valid from yesterday for a year: (key, cert, PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / f"{common_name}.key", folder / f"{common_name}.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    cert_path.write_text(pem)
    return key_path, cert_path, pem


def _renamed(metadata: str, entity_id: str) -> str:
    start = metadata.index('entityID="') + len('entityID="')
    return metadata[:start] + entity_id + metadata[metadata.index('"', start) :]


class SamlIdentityProvider:
    def __init__(
        self,
        folder: Path,
        sp_metadata: str,
        *,
        lifetime_minutes: int = 5,
        other_audience: str = "https://another-service.test/saml/metadata/",
    ):
        self.key_path, self.cert_path, self.certificate = self_signed("idp.acme.test", folder)
        config = IdPConfig()
        config.load(
            {
                "entityid": ENTITY_ID,
                "service": {
                    "idp": {
                        "endpoints": {
                            "single_sign_on_service": [(SSO_URL, BINDING_HTTP_REDIRECT)],
                        },
                        "policy": {
                            "default": {
                                "lifetime": {"minutes": lifetime_minutes},
                                "name_form": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
                            }
                        },
                        "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                    }
                },
                "key_file": str(self.key_path),
                "cert_file": str(self.cert_path),
                # Our SP, and another service it also serves (to answer for the wrong audience).
                "metadata": {"inline": [sp_metadata, _renamed(sp_metadata, other_audience)]},
                "xmlsec_binary": "/usr/bin/xmlsec1",
            }
        )
        self.config = config
        self.server = Server(config=config)

    def metadata(self) -> str:
        """The IdP's own metadata XML, as an administrator's metadata URL would serve it."""
        return str(entity_descriptor(self.config))

    @contextmanager
    def metadata_url(self) -> Iterator[str]:
        """Serve the metadata over HTTP on 127.0.0.1 for one test."""
        body = self.metadata().encode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/samlmetadata+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/metadata"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    def answer(
        self,
        redirect_url: str,
        *,
        email: str,
        name: str = "Ada Lovelace",
        signed: bool = True,
        audience: str | None = None,
    ) -> tuple[str, dict]:
        """Read the AuthnRequest in the SP's redirect and answer it: (ACS URL, POST data)."""
        query = parse_qs(urlsplit(redirect_url).query)
        request = self.server.parse_authn_request(query["SAMLRequest"][0], BINDING_HTTP_REDIRECT)
        args = self.server.response_args(request.message, [BINDING_HTTP_POST])
        if audience is not None:
            args["sp_entity_id"] = audience
        response = self.server.create_authn_response(
            identity={"mail": [email], "displayName": [name]},
            userid=email,
            name_id=None,
            authn={
                "class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password",
                "authn_auth": ENTITY_ID,
            },
            sign_assertion=signed,
            sign_response=False,
            # pysaml2 would sign with SHA-1, which python3-saml rightly refuses.
            sign_alg="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            digest_alg="http://www.w3.org/2001/04/xmlenc#sha256",
            **args,
        )
        data = {"SAMLResponse": base64.b64encode(str(response).encode()).decode()}
        if "RelayState" in query:
            data["RelayState"] = query["RelayState"][0]
        return args["destination"], data
