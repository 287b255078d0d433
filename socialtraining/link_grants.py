"""What a signed email link grants a browser session: one object, acting as the link's person.

Survey rounds and spark asks open from email without a password. The link's signature proves who
it was sent to; opening it records here that this session may open that one object as that person
(not a sign-in), so a forwarded email reaches nothing else of theirs. `read_signed_ids` reads every
such link's token (survey rounds, spark asks and choices, coaching observations).
"""

from __future__ import annotations

from django.core import signing

from socialtraining import clock_signing

# A session keeps the last few links it opened; older grants fall off.
KEPT = 10


def grant(session, kind: str, object_id: int, user_id: int) -> None:
    """Let this session open object `object_id` of `kind` as `user_id`; the newest link wins."""
    key = f"link_grants:{kind}"
    grants = [g for g in session.get(key, []) if g[0] != object_id]
    session[key] = [*grants[-(KEPT - 1) :], [object_id, user_id]]


def granted_user_id(session, kind: str, object_id: int) -> int | None:
    for granted, user_id in session.get(f"link_grants:{kind}", []):
        if granted == object_id:
            return user_id
    return None


def read_signed_ids(token: str, *, salt: str, max_age: int, keys: tuple[str, ...]) -> tuple | None:
    """The ids a signed link's token holds under `keys`, in that order; None when it was tampered
    with, has expired or lacks one of them."""
    try:
        data = clock_signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not set(keys) <= data.keys():
        return None
    try:
        return tuple(int(data[key]) for key in keys)
    except (TypeError, ValueError):
        return None
