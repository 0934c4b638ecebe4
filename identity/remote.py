"""Signing in through the deployment's sign-in service (``LEGISFLOW_SIGN_IN_URL``): the
service holds the signing key and the accounts; the CLI holds only the session the service
gave it, and asks the service for the proof of each decision (``web/sign_in_api.py`` is the
other side). Nothing here reads or makes a key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from identity.accounts import SignInRefused
from identity.sessions import NotSignedIn, Session
from models.authorship import Proof, Signed, TrustedKey, request_content

SESSIONS = "/api/sign-in/sessions"
KEYS = "/api/sign-in/keys"
PROOFS = "/api/sign-in/proofs"
WHOAMI = "/api/sign-in/whoami"
#: Seconds to wait for the service before saying it does not answer.
TIMEOUT = 15.0


class SignInUnavailable(NotSignedIn):
    """The sign-in service cannot be reached or answered with an error of its own."""


def _unreachable(url: str, exc: Exception) -> SignInUnavailable:
    return SignInUnavailable(
        f"dịch vụ đăng nhập không trả lời / the sign-in service at {url} does not answer "
        f"({type(exc).__name__}); check LEGISFLOW_SIGN_IN_URL"
    )


def _detail(response: httpx.Response) -> str:
    try:
        body: Any = response.json()
    except ValueError:
        return response.text[:300]
    detail = body.get("detail") if isinstance(body, dict) else None
    return detail if isinstance(detail, str) else str(body)[:300]


def remote_sign_in(url: str, person: str, password: str) -> Session:
    """A session from the service for ``person`` (SignInRefused, with the service's generic
    message, when the account or the password is wrong)."""
    base = url.rstrip("/")
    try:
        r = httpx.post(
            f"{base}{SESSIONS}", json={"person": person, "password": password}, timeout=TIMEOUT
        )
    except httpx.HTTPError as exc:
        raise _unreachable(base, exc) from None
    if r.status_code == 401:
        raise SignInRefused(_detail(r))
    if r.status_code != 200:
        raise SignInUnavailable(f"the sign-in service refused ({r.status_code}): {_detail(r)}")
    return Session.model_validate(r.json())


class RemoteSigner:
    """Proofs for the signed-in person, issued by the sign-in service."""

    def __init__(self, url: str, session: Session) -> None:
        self.url = url.rstrip("/")
        self.session = session
        self._keys: list[TrustedKey] | None = None

    def check(self) -> Session:
        """The session as the service sees it now (NotSignedIn if expired, forged, or its
        account was disabled since)."""
        try:
            r = httpx.post(
                f"{self.url}{WHOAMI}", json=self.session.model_dump(mode="json"), timeout=TIMEOUT
            )
        except httpx.HTTPError as exc:
            raise _unreachable(self.url, exc) from None
        if r.status_code != 200:
            raise NotSignedIn(_detail(r))
        return self.session

    def trusted_keys(self) -> list[TrustedKey]:
        """The service's public keys (asked once: a case started here pins them)."""
        if self._keys is None:
            try:
                r = httpx.get(f"{self.url}{KEYS}", timeout=TIMEOUT)
                r.raise_for_status()
            except httpx.HTTPError as exc:
                raise _unreachable(self.url, exc) from None
            self._keys = [TrustedKey.model_validate(k) for k in r.json()]
        return self._keys

    async def prove(
        self, case_id: str, update: str, request: Signed, now: datetime | None = None
    ) -> Proof:
        """The service's proof of ``request`` (``now`` is the service's: it issues proofs on
        its own clock)."""
        author = request.author()
        if author != self.session.person:
            raise NotSignedIn(
                f"bạn đang đăng nhập là {self.session.person!r} / you are signed in as "
                f"{self.session.person!r}, not {author!r}: nobody acts as someone else"
            )
        order = {
            "session": self.session.model_dump(mode="json"),
            "case_id": case_id,
            "update": update,
            "request": request_content(request),
        }
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT) as http:
                r = await http.post(f"{self.url}{PROOFS}", json=order)
        except httpx.HTTPError as exc:
            raise _unreachable(self.url, exc) from None
        if r.status_code == 401:
            raise NotSignedIn(_detail(r))
        if r.status_code != 200:
            raise SignInUnavailable(
                f"dịch vụ đăng nhập từ chối / the sign-in service refused the proof "
                f"({r.status_code}): {_detail(r)}; nothing was sent"
            )
        return Proof.model_validate(r.json())
