"""Tracking codes (mã theo dõi) a citizen is given for a comment or a feedback: short enough
to read over the phone, random so that one cannot be guessed from another."""

from __future__ import annotations

import re
import secrets

#: Crockford's base32: no I, L, O or U, so a code read aloud or retyped is not mistaken.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: 8 characters: 40 random bits.
CHARS = 8


def new_code(prefix: str) -> str:
    """``PREFIX-XXXX-XXXX``."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(CHARS))
    return f"{prefix}-{body[:4]}-{body[4:]}"


def normalized(code: str) -> str | None:
    """The code as stored, from what a person typed (any case, spaces, O for 0, I/L for 1),
    or None if it cannot be one."""
    typed = re.sub(r"[\s-]", "", code.upper())
    prefix, body = typed[:2], typed[2:].translate(str.maketrans("OIL", "011"))
    if not re.fullmatch(r"[A-Z]{2}", prefix) or not re.fullmatch(rf"[{ALPHABET}]{{{CHARS}}}", body):
        return None
    return f"{prefix}-{body[:4]}-{body[4:]}"
