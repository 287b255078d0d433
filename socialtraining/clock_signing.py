"""Signed, timestamped tokens (email links, invitations) on the project's clock.

Django's `signing.dumps` and `signing.loads` stamp and age a token with the wall clock
(`time.time()`), behind the project clock's back: a test or the demo that moves the clock could not
make a link expire. These are the same tokens, in the same format and with the same keys (a link
signed before still opens), stamped and aged with `clock.now()`. Errors are Django's:
`signing.BadSignature`, and `signing.SignatureExpired` for a genuine token that is too old.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core import signing

from socialtraining import clock


class _ClockSigner(signing.TimestampSigner):
    def timestamp(self) -> str:
        return signing.b62_encode(int(clock.now().timestamp()))

    def unsign(self, value: str, max_age: int | float | timedelta | None = None) -> str:
        # TimestampSigner.unsign without its wall clock.
        value, stamp = signing.Signer.unsign(self, value).rsplit(self.sep, 1)
        if max_age is not None:
            if isinstance(max_age, timedelta):
                max_age = max_age.total_seconds()
            age = clock.now().timestamp() - signing.b62_decode(stamp)
            if age > max_age:
                raise signing.SignatureExpired(f"Signature age {age} > {max_age} seconds")
        return value


def dumps(obj: Any, *, salt: str, compress: bool = False) -> str:
    """`obj` as a URL-safe signed token, stamped with the project clock's time."""
    return _ClockSigner(salt=salt).sign_object(obj, compress=compress)


def loads(token: str, *, salt: str, max_age: int | float | timedelta | None = None) -> Any:
    """What `dumps` signed; raises if the token was changed or, with `max_age` (seconds), is older
    than that by the project clock."""
    return _ClockSigner(salt=salt).unsign_object(token, max_age=max_age)
