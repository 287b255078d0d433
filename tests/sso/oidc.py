"""Start the real OpenID Provider (tests/sso/oidc_provider.mjs, npm oidc-provider) under Node."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
CLIENT_ID = "social-training"
CLIENT_SECRET = "test-only-client-secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def oidc_provider(redirect_uri: str) -> Iterator[str]:
    """Run the provider for one test; yield its issuer URL. The process ends with the test."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "oidc-provider").exists():
        skip_or_fail("needs Node 20 and `npm ci` (oidc-provider) for the OpenID Provider")
    port = _free_port()
    process = subprocess.Popen(
        [node, str(SCRIPT)],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "OIDC_PORT": str(port),
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_REDIRECT_URI": redirect_uri,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = ""
        while not line.startswith("ready"):
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                raise RuntimeError("the OpenID Provider did not start")
        yield line.split()[1]
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
