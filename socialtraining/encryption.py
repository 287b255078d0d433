"""Secrets stored encrypted at rest: SSO client secrets and LTI tool private keys.

Fernet (AES-128-CBC with an HMAC-SHA256) from `cryptography`. The key comes from
`FIELD_ENCRYPTION_KEYS` (comma-separated Fernet keys, the first encrypts, all decrypt, so a key
can be rotated), or is derived from `SECRET_KEY` when that is unset. A database dump alone then
reveals no secret; whoever holds the key and the dump holds both.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadable(Exception):
    """The stored secret was encrypted with a key this deployment no longer has."""


def _fernet() -> MultiFernet:
    keys = [key.strip() for key in settings.FIELD_ENCRYPTION_KEYS if key.strip()]
    if not keys:
        derived = hashlib.sha256(b"socialtraining.encryption:" + settings.SECRET_KEY.encode())
        keys = [base64.urlsafe_b64encode(derived.digest()).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(plain: str) -> str:
    """The encrypted token for `plain` (empty stays empty: nothing stored)."""
    if not plain:
        return ""
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS; enter it again."
        ) from None
