"""The one place that talks HTTP to a Learning Record Store (the stdlib's urllib)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

from django.conf import settings

from xapi.statements import XAPI_VERSION


class LrsUnavailable(Exception):
    """The network failed or the LRS answered 5xx or 429: worth trying again later."""


class LrsRejected(Exception):
    """The LRS refused the batch (any other non-2xx answer): sending it again will not help."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirected POST would come back as a GET of the statements: never follow one.
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _describe(status: int, body: bytes, content_type: str) -> str:
    # An LRS explains a refusal in JSON; any other body (an HTML page of some internal server the
    # URL happened to point at) is not shown to managers.
    if not content_type.startswith("application/json"):
        return f"HTTP {status}"
    text = body.decode("utf-8", "replace").strip()[:300]
    return f"HTTP {status}" + (f": {text}" if text else "")


def lrs_post_statements(*, url: str, username: str, secret: str, statements: list[dict]) -> None:
    """POST a batch to `url` (…/statements); returns when the LRS accepted it, else raises."""
    credentials = base64.b64encode(f"{username}:{secret}".encode()).decode("ascii")
    request = urllib.request.Request(
        url,
        data=json.dumps(statements).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Experience-API-Version": XAPI_VERSION,
            "Authorization": f"Basic {credentials}",
        },
    )
    try:
        with _opener.open(request, timeout=settings.XAPI_LRS_TIMEOUT_SECONDS) as answer:
            body = answer.read()
    except urllib.error.HTTPError as error:
        description = _describe(
            error.code, error.read(), error.headers.get("Content-Type", "") if error.headers else ""
        )
        if error.code >= 500 or error.code == 429:
            raise LrsUnavailable(description) from error
        raise LrsRejected(description) from error
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise LrsUnavailable(f"Could not reach the LRS: {error}") from error
    # An LRS answers a POST with the list of stored ids; anything else is not an LRS.
    try:
        ids = json.loads(body)
    except ValueError:
        ids = None
    if not isinstance(ids, list):
        raise LrsRejected(
            "The endpoint answered, but not as an xAPI LRS (no list of statement ids)."
        )
