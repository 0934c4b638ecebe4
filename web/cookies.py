"""The web workspace's sign-in cookie: the session the sign-in service issued (signed with its
key, so an edited cookie is refused like an edited session file), HttpOnly, SameSite=Lax (a
form on another site cannot post with it), Secure behind TLS."""

from __future__ import annotations

import base64
import binascii

from fastapi import Request, Response
from pydantic import ValidationError

from identity.sessions import SESSION_LIFETIME, NotSignedIn, Session, check_session
from identity.signing_key import SigningKey

COOKIE = "legisflow_session"


def set_session(response: Response, session: Session, *, secure: bool) -> None:
    value = base64.urlsafe_b64encode(session.model_dump_json().encode()).decode()
    response.set_cookie(
        COOKIE,
        value,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(COOKIE)


def session_of(request: Request, key: SigningKey) -> Session | None:
    """The request's session, if it carries one this service issued and still in force."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        session = Session.model_validate_json(base64.urlsafe_b64decode(raw.encode()))
        return check_session(key, session)
    except (binascii.Error, ValueError, ValidationError, NotSignedIn):
        return None
