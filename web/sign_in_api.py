"""The sign-in service's API (dịch vụ đăng nhập): the one place that holds the signing key.

A production CLI (``LEGISFLOW_SIGN_IN_URL``, ``identity/remote.py``) signs in here and asks
here for the proof of each decision; it never holds the key. The service checks what the
client API checks locally: the session is one it issued and still in force, the account is
not disabled, the request's author is the signed-in person, the request is not too large,
and every document it references is in the store (a proof vouches only for an upload that
arrived).

- ``POST /api/sign-in/sessions`` {person, password} → a session (401 with one message for a
  wrong account or password; 429 after too many failures, counted with the workspace's);
- ``POST /api/sign-in/whoami`` a session → the session, if still good (401 otherwise);
- ``GET /api/sign-in/keys`` → the public keys a case pins;
- ``POST /api/sign-in/proofs`` {session, case_id, update, request} → a proof.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from client.proofs import MAX_REQUEST_BYTES
from identity.accounts import SignInRefused
from identity.local import LocalSignIn
from identity.sessions import NotSignedIn, Session, check_session
from identity.signers import issue
from models.authorship import Proof, TrustedKey, content_author
from web.sign_in_limits import SignInLimits, TooManyAttempts


class Credentials(BaseModel):
    person: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


class ProofOrder(BaseModel):
    session: Session
    case_id: str = Field(min_length=1, max_length=256)
    update: str = Field(min_length=1, max_length=64)
    #: The request's content as ``models.authorship.request_content`` gives it.
    request: dict[str, Any]


def sign_in_api(
    local: LocalSignIn, holds: Callable[[str], bool], limits: SignInLimits | None = None
) -> APIRouter:
    """The API over ``local`` (the accounts and the key), with ``holds`` saying whether the
    document store has a blob; ``limits``: failed sign-ins counted with the workspace's."""
    limits = limits or SignInLimits()
    api = APIRouter(prefix="/api/sign-in", tags=["sign-in"])

    def good_session(session: Session) -> Session:
        try:
            check_session(local.key, session)
        except NotSignedIn as exc:
            raise HTTPException(401, str(exc)) from None
        account = local.accounts.get(session.person)
        if account is not None and account.disabled:
            raise HTTPException(
                401, "tài khoản đã bị khóa / the account is disabled; ask your administrator"
            )
        return session

    @api.post("/sessions")
    def sign_in(credentials: Credentials, request: Request) -> Session:
        address = request.client.host if request.client else "?"
        try:
            limits.check(credentials.person, address)
            session = local.sign_in(credentials.person, credentials.password)
        except TooManyAttempts as exc:
            raise HTTPException(429, str(exc)) from None
        except SignInRefused as exc:
            limits.failed(credentials.person, address)
            raise HTTPException(401, str(exc)) from None
        limits.succeeded(credentials.person)
        return session

    @api.post("/whoami")
    def whoami(session: Session) -> Session:
        return good_session(session)

    @api.get("/keys")
    def keys() -> list[TrustedKey]:
        return [local.key.trusted()]

    @api.post("/proofs")
    def prove(order: ProofOrder) -> Proof:
        session = good_session(order.session)
        author = content_author(order.request)
        if author != session.person:
            raise HTTPException(
                403,
                f"bạn đang đăng nhập là {session.person!r} / you are signed in as "
                f"{session.person!r}, not {author!r}: nobody acts as someone else",
            )
        size = len(json.dumps(order.request, ensure_ascii=False).encode())
        if size > MAX_REQUEST_BYTES:
            raise HTTPException(
                413, f"the decision is {size // 1024} KiB, more than {MAX_REQUEST_BYTES // 1024}"
            )
        for value in order.request.values():
            sha256 = value.get("sha256") if isinstance(value, dict) else None
            if isinstance(sha256, str) and not holds(sha256):
                raise HTTPException(
                    422,
                    f"tài liệu {value.get('name')!r} không có trong kho / the document store "
                    "does not hold it: upload it first",
                )
        return issue(local.key, session, order.case_id, order.update, order.request)

    return api
