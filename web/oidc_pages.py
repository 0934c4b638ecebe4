"""Signing in to the workspace with the agency's identity provider (đăng nhập bằng tài khoản
của cơ quan; OpenID Connect, authorization code with PKCE, ``identity/oidc.py``). The
sign-in page links to ``/dang-nhap/oidc``, which sends the browser to the provider; the
provider sends it back to ``/dang-nhap/oidc/xong`` with a code, and the person the verified
ID token names, if the directory has them, gets the same signed session cookie a password
sign-in gives. Anyone else sees why on the sign-in page (``role="alert"``).

The state, nonce and PKCE verifier of a sign-in under way stay in this process; the browser
carries only the state, in a cookie sent to the return address alone, so an answer is taken
once, and only in the browser that started the sign-in (no login CSRF).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from identity.accounts import AccountKind, SignInRefused
from identity.oidc import OidcClient, Pending, Provider
from identity.sessions import open_session
from settings import Settings
from web.cookies import set_session
from web.workspace import Workspace

START = "/dang-nhap/oidc"
RETURN = "/dang-nhap/oidc/xong"
#: The cookie holding the state of the browser's sign-in under way (sent to RETURN only).
STATE_COOKIE = "legisflow_oidc_state"
#: How long a person may stay on the provider's pages before the sign-in must start again.
PENDING_SECONDS = 600
#: Sign-ins under way kept at most (the oldest are dropped: a flood cannot fill memory).
PENDING_LIMIT = 10_000

EXPIRED = (
    "Lượt đăng nhập này đã hết hạn hoặc không bắt đầu từ trình duyệt này; hãy đăng nhập lại. "
    "/ This sign-in has expired or was not started in this browser: sign in again."
)


def oidc_client(settings: Settings) -> OidcClient | None:
    """The workspace's client of the agency's provider, when LEGISFLOW_OIDC_* are set."""
    if not (settings.oidc_issuer and settings.oidc_client_id and settings.oidc_client_secret):
        return None
    return OidcClient(
        issuer=settings.oidc_issuer,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret.get_secret_value(),
        redirect_uri=settings.oidc_web_redirect_uri or settings.workspace_url + RETURN,
        person_claim=settings.oidc_person_claim,
    )


@dataclass
class PendingSignIns:
    """Sign-ins under way, by state: each taken once, none after ``seconds``."""

    seconds: float = PENDING_SECONDS
    limit: int = PENDING_LIMIT
    _items: OrderedDict[str, tuple[float, Pending]] = field(default_factory=OrderedDict)

    def add(self, pending: Pending) -> None:
        self._items[pending.state] = (time.monotonic() + self.seconds, pending)
        while len(self._items) > self.limit:
            self._items.popitem(last=False)

    def take(self, state: str) -> Pending | None:
        item = self._items.pop(state, None)
        if item is None or item[0] < time.monotonic():
            return None
        return item[1]


def oidc_pages(ws: Workspace, client: OidcClient) -> APIRouter:
    pages = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
    pending_sign_ins = PendingSignIns()
    discovered: list[Provider] = []

    async def provider() -> Provider:
        # Discovered at the first sign-in, not at start: the workspace serves while the
        # provider is down, and a failed discovery is tried again at the next sign-in.
        if not discovered:
            discovered.append(await client.discover())
        return discovered[0]

    @pages.get(START, response_model=None)
    async def start(request: Request) -> Response:
        try:
            pending = client.begin(await provider())
        except SignInRefused as exc:
            return ws.sign_in_page(request, str(exc), status_code=502)
        pending_sign_ins.add(pending)
        response = RedirectResponse(pending.url, status_code=303)
        response.set_cookie(
            STATE_COOKIE, pending.state, max_age=PENDING_SECONDS, path=RETURN,
            httponly=True, samesite="lax", secure=ws.secure_cookie,
        )  # fmt: skip
        return response

    @pages.get(RETURN, response_model=None)
    async def finish(request: Request) -> Response:
        answer = dict(request.query_params)
        state = answer.get("state", "")
        mine = state and request.cookies.get(STATE_COOKIE) == state
        pending = pending_sign_ins.take(state) if mine else None
        if pending is None:
            return ws.sign_in_page(request, EXPIRED, status_code=400)
        try:
            claims = await client.finish(await provider(), pending, answer)
            person = client.person(claims, ws.directory)
        except SignInRefused as exc:
            return ws.sign_in_page(request, str(exc), status_code=403)
        response = RedirectResponse("/", status_code=303)
        set_session(
            response,
            open_session(ws.local.key, person.id, AccountKind.PERSON),
            secure=ws.secure_cookie,
        )
        response.delete_cookie(STATE_COOKIE, path=RETURN)
        return response

    return pages
