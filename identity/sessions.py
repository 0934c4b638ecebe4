"""A signed-in session (phiên đăng nhập): who signed in, when, until when, signed with the
sign-in key so that a copied or edited session file is refused. The CLI keeps it under the
user's config dir, readable by its owner only."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from pydantic import BaseModel, ValidationError

from identity.accounts import AccountKind
from identity.private_files import write_private
from identity.signing_key import SigningKey
from models.authorship import canonical

#: How long a CLI session lasts: a working day.
SESSION_LIFETIME = timedelta(hours=8)


class NotSignedIn(Exception):
    """No usable session; the message says to sign in (and why the old one is not usable)."""


SIGN_IN_FIRST = "đăng nhập trước / sign in first: `legisflow login`"


class Session(BaseModel):
    person: str
    kind: AccountKind = AccountKind.PERSON
    session_id: str
    issued_at: datetime
    expires_at: datetime
    key_id: str
    signature: str = ""

    def claims(self) -> bytes:
        return canonical(self.model_dump(mode="json", exclude={"signature"}))


def open_session(
    key: SigningKey, person: str, kind: AccountKind, now: datetime | None = None
) -> Session:
    now = now or datetime.now(UTC)
    session = Session(
        person=person,
        kind=kind,
        session_id=secrets.token_hex(16),
        issued_at=now,
        expires_at=now + SESSION_LIFETIME,
        key_id=key.key_id,
    )
    return session.model_copy(update={"signature": key.sign(session.claims())})


def check_session(key: SigningKey, session: Session, now: datetime | None = None) -> Session:
    """``session`` if ``key`` signed it and it has not expired; else NotSignedIn."""
    now = now or datetime.now(UTC)
    try:
        if session.key_id != key.key_id:
            raise InvalidSignature
        key.private.public_key().verify(base64.b64decode(session.signature), session.claims())
    except (InvalidSignature, ValueError):
        raise NotSignedIn(
            f"phiên không hợp lệ / the session is not valid; {SIGN_IN_FIRST}"
        ) from None
    if now >= session.expires_at:
        raise NotSignedIn(
            f"phiên đã hết hạn / the session expired at {session.expires_at:%d/%m/%Y %H:%M} UTC; "
            f"{SIGN_IN_FIRST}"
        )
    return session


def save(path: Path, session: Session) -> None:
    write_private(path, session.model_dump_json().encode())


def load(path: Path) -> Session:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotSignedIn(SIGN_IN_FIRST) from None
    try:
        return Session.model_validate(json.loads(raw))
    except (ValueError, ValidationError):
        raise NotSignedIn(f"{path}: not a session file; {SIGN_IN_FIRST}") from None


def forget(path: Path) -> bool:
    """Sign out: remove the session file; False when there was none."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
