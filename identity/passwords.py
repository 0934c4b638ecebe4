"""Password hashes (băm mật khẩu) with scrypt, from the standard library: memory-hard, salted,
parameters stored with each hash so they can be raised later without breaking old ones."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import cache

#: scrypt cost (RFC 7914): N=2^15, r=8, p=1 uses 32 MiB and ~50-100 ms per check, OWASP's
#: recommended minimum for scrypt.
N, R, P = 2**15, 8, 1
MAXMEM = 64 * 1024 * 1024
#: Passwords shorter than this are refused when set.
MIN_LENGTH = 10


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, maxmem=MAXMEM, dklen=32)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=MAXMEM,
            dklen=32,
        )
    except ValueError:
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


def weak_password(password: str) -> str | None:
    """Why ``password`` may not be set, or None."""
    if len(password) < MIN_LENGTH:
        return f"mật khẩu quá ngắn / the password needs at least {MIN_LENGTH} characters"
    return None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@cache
def dummy_hash() -> str:
    """A hash checked when the account does not exist, so a wrong user name costs the same
    time as a wrong password and the answer does not say which it was."""
    return hash_password(secrets.token_urlsafe(16))
