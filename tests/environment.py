"""Loaded by pytest before Django (``-p tests.environment`` in pyproject.toml).

Settings read the environment once, at import, and some middleware reads them once, when the live
server starts; test values must therefore be in place before Django is set up.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
