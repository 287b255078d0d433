"""A test LMS: signs real LTI 1.3 id tokens with its own RSA key and serves its services over HTTP.

It runs a small HTTP server on 127.0.0.1 for what the tool fetches from a platform: its public
keys (JWKS), OAuth 2 access tokens (granted only to a client assertion signed by the tool's key),
Names and Role Provisioning Services (the roster) and Assignment and Grade Services (scores).
"""

from __future__ import annotations

import html
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from jwcrypto.jwk import JWK

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


class SuitePlatform:
    client_id = "social-training-tool"
    deployment_id = "deployment-1"
    context_id = "course-42"

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.key = JWK.generate(kty="RSA", size=2048, kid=uuid.uuid4().hex)
        self.members: list[dict] = []
        self.scores: list[dict] = []
        self.tool_jwk: dict | None = None
        # For the browser: the tool's base URL, the claims of the next launch, what came back.
        self.tool_url = ""
        self.next_claims: dict = {}
        self.returned_items: list[dict] = []
        self._tokens: set[str] = set()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self.issuer = self.url
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    # --- What a manager copies into the tool's registration form ---

    def registration(self) -> dict:
        return {
            "name": "Test Moodle",
            "issuer": self.issuer,
            "client_id": self.client_id,
            "deployment_ids": self.deployment_id,
            "auth_login_url": f"{self.url}/auth",
            "auth_token_url": f"{self.url}/token",
            "key_set_url": f"{self.url}/jwks",
        }

    # --- Messages ---

    def id_token(self, nonce: str, *, key: JWK | None = None, exp_in: int = 300, **claims) -> str:
        now = int(time.time())
        body = {
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": now,
            "exp": now + exp_in,
            "nonce": nonce,
            LTI + "deployment_id": self.deployment_id,
            LTI + "version": "1.3.0",
            LTI + "message_type": "LtiResourceLinkRequest",
            LTI + "target_link_uri": "http://testserver/lti/launch/",
            LTI + "context": {"id": self.context_id, "title": "Leadership 101"},
            LTI + "resource_link": {"id": "link-1", "title": "Our cohort"},
            LTI + "roles": [LEARNER],
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": f"{self.url}/memberships",
                "service_versions": ["2.0"],
            },
            **claims,
        }
        key = key or self.key
        return jwt.encode(
            body,
            key.export_to_pem(private_key=True, password=None),
            algorithm="RS256",
            headers={"kid": key.kid},
        )

    def launch(self, client, *, key=None, exp_in=300, **claims):
        """The browser's trip: login initiation, then the signed launch posted back."""
        response = client.get(
            "/lti/login/",
            {
                "iss": self.issuer,
                "client_id": self.client_id,
                "login_hint": "hint",
                "target_link_uri": "http://testserver/lti/launch/",
                "lti_deployment_id": claims.get(LTI + "deployment_id", self.deployment_id),
            },
        )
        assert response.status_code == 302, response.content[:300]
        query = parse_qs(urlsplit(response["Location"]).query)
        token = self.id_token(query["nonce"][0], key=key, exp_in=exp_in, **claims)
        data = {"id_token": token, "state": query["state"][0]}
        return client.post("/lti/launch/", data), data

    # --- The HTTP side ---

    def _handler(self):
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, status: int, body, content_type="application/json"):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                header = self.headers.get("Authorization", "")
                return header.removeprefix("Bearer ") in platform._tokens

            def _html(self, body: str):
                data = f"<!DOCTYPE html><html><body>{body}</body></html>".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                parts = urlsplit(self.path)
                path = parts.path
                if path == "/course":
                    # The course page of the LMS, with the tool's link in it.
                    login = (
                        platform.tool_url
                        + "/lti/login/?"
                        + urlencode(
                            {
                                "iss": platform.issuer,
                                "client_id": platform.client_id,
                                "login_hint": "hint",
                                "target_link_uri": platform.tool_url + "/lti/launch/",
                                "lti_deployment_id": platform.deployment_id,
                            }
                        )
                    )
                    return self._html(
                        f'<h1>Leadership 101</h1><a href="{login}">Social training</a>'
                    )
                if path == "/auth":
                    # The platform's OIDC authorisation: sign the launch and post it to the tool.
                    query = parse_qs(parts.query)
                    token = platform.id_token(query["nonce"][0], **platform.next_claims)
                    action = html.escape(query["redirect_uri"][0])
                    state = html.escape(query["state"][0])
                    return self._html(
                        f'<form method="post" action="{action}">'
                        f'<input type="hidden" name="id_token" value="{token}">'
                        f'<input type="hidden" name="state" value="{state}">'
                        "<button>Continue</button></form>"
                        "<script>document.forms[0].submit()</script>"
                    )
                if path == "/jwks":
                    return self._json(200, {"keys": [json.loads(platform.key.export_public())]})
                if path == "/memberships" and self._authorised():
                    return self._json(
                        200,
                        {
                            "id": "m",
                            "context": {"id": platform.context_id},
                            "members": platform.members,
                        },
                        "application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
                    )
                return self._json(401, {"error": "unauthorised"})

            def do_POST(self):
                path = urlsplit(self.path).path
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode()
                if path == "/token":
                    form = parse_qs(body)
                    assertion = form["client_assertion"][0]
                    key = JWK(**platform.tool_jwk).export_to_pem().decode()
                    try:
                        jwt.decode(
                            assertion, key, algorithms=["RS256"], audience=f"{platform.url}/token"
                        )
                    except jwt.InvalidTokenError:
                        return self._json(401, {"error": "invalid_client"})
                    token = uuid.uuid4().hex
                    platform._tokens.add(token)
                    return self._json(
                        200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
                    )
                if path == "/return":
                    # Deep linking's answer, signed by the tool's key.
                    message = jwt.decode(
                        parse_qs(body)["JWT"][0],
                        JWK(**platform.tool_jwk).export_to_pem().decode(),
                        algorithms=["RS256"],
                        audience=platform.issuer,
                    )
                    items = message["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
                    platform.returned_items.extend(items)
                    titles = ", ".join(html.escape(item["title"]) for item in items)
                    return self._html(f"<h1>Added to the course</h1><p>{titles}</p>")
                if path.endswith("/scores") and self._authorised():
                    platform.scores.append(json.loads(body))
                    return self._json(200, {})
                return self._json(401, {"error": "unauthorised"})

        return Handler
