"""Protection against cross-site request forgery (CSRF) for every form of the workspace.

A signed-in form carries a token bound to the session: the sign-in key's signature of the
session id (Ed25519 is deterministic, so the same session always gets the same token and
nobody without the key can make one). The sign-in form, before any session exists, carries
a random value that must equal a cookie set with the form (double submit), so another site
cannot sign a browser in to an account of its choosing.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response

from identity.sessions import Session
from identity.signing_key import SigningKey

FIELD = "csrf"
PRE_SESSION_COOKIE = "legisflow_csrf"
REFUSED = (
    "Biểu mẫu đã hết hiệu lực (có thể do đăng nhập lại ở cửa sổ khác); hãy tải lại trang "
    "và thử lại. / This form has expired; reload the page and try again."
)


class CsrfRefused(Exception):
    """A form posted without this session's token."""


def session_token(key: SigningKey, session: Session) -> str:
    return key.sign(b"csrf:" + session.session_id.encode())


def check_session_token(key: SigningKey, session: Session, token: str) -> None:
    if not hmac.compare_digest(token.encode(), session_token(key, session).encode()):
        raise CsrfRefused(REFUSED)


def pre_session_token(request: Request) -> str:
    """The sign-in form's token: the browser's existing one, or a new one."""
    return request.cookies.get(PRE_SESSION_COOKIE) or secrets.token_urlsafe(24)


def set_pre_session_token(response: Response, token: str, *, secure: bool) -> None:
    response.set_cookie(PRE_SESSION_COOKIE, token, httponly=True, samesite="strict", secure=secure)


def check_pre_session_token(request: Request, token: str) -> None:
    cookie = request.cookies.get(PRE_SESSION_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), token.encode()):
        raise CsrfRefused(REFUSED)
