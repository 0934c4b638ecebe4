"""The officials' workspace (không gian làm việc): what every page shares — the signed-in
session, the CSRF token of its forms, rendering — and the sign-in and inbox pages. The case
pages are in ``web/case_pages.py``. Server-rendered HTML (Jinja2), every form usable without
JavaScript; HTMX (vendored, ``web/static``) makes them partial requests.

A decision is sent through the client API on the web app's one Temporal client; its proof is
signed for the person of the request's session (``identity.signers.RequestSigner``), so the
web app, which holds the sign-in key, never acts for anyone but who is signed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError

from activities.ports import DocumentStore
from client.errors import CaseError
from client.inbox import OlderCases, Overview, RecentLists, Seeker, overview
from client.status_cache import StatusCache
from identity.accounts import SignInRefused
from identity.local import LocalSignIn
from identity.sessions import Session
from models.actors import Directory
from models.case import CaseStatus
from models.choices import Disposition
from models.legal_time import VIETNAM_TZ
from models.registry import Registry
from public_records.comments import PublicComments
from signatures.demo_signers import DemoSigners
from web import csrf, i18n
from web.access import may_see
from web.cookies import clear_session, session_of, set_session
from web.sign_in_limits import SignInLimits, TooManyAttempts

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


def vn_date(value: date | datetime) -> str:
    """dd/mm/yyyy of a date, or of an instant on Vietnam's calendar (an instant is stored in
    UTC: its UTC date is the day before for the first seven hours of a Vietnamese day)."""
    if isinstance(value, datetime):
        value = value.astimezone(VIETNAM_TZ).date()
    return f"{value:%d/%m/%Y}"


TEMPLATES.env.filters["vn_date"] = vn_date
SIGN_IN = "/dang-nhap"
#: The inbox's second tab: the agency's cases in progress, waiting on someone else.
WAITING_TAB = "cho-nguoi-khac"


def said(exc: Exception) -> str:
    """A refusal as a person reads it: a request the models refused without pydantic's
    "Value error," prefixes, any other refusal as its message."""
    if not isinstance(exc, ValidationError):
        return str(exc)
    return "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())


def disposition_fields(
    session: Session, disposition: str, reason: str, no_interest: bool
) -> dict[str, Any]:
    """The answer to comments as a form posts it (xử lý, tiếp thu, giải trình), for the
    signed-in person: the fields a comment's and a cluster's disposition share."""
    return {
        "disposition": Disposition(disposition),
        "actor": session.person,
        "reason": reason.strip() or None,
        "declare_no_interest": no_interest,
    }


class SignInFirst(Exception):
    """The request has no usable session: the browser is sent to the sign-in page."""


class NoSuchCase(Exception):
    """The case does not exist, or the person may not see it (the page says the same)."""


@dataclass
class Workspace:
    local: LocalSignIn
    store: DocumentStore
    directory: Directory
    registry: Registry
    #: The deployment's task queue: the cases the inbox lists.
    task_queue: str = "legisflow"
    #: Behind TLS: the cookie is sent over HTTPS only.
    secure_cookie: bool = False
    #: The length of a legal day for the cases started here (86400 but in a demo).
    legal_day_seconds: float = 86400.0
    client: Client | None = None
    limits: SignInLimits = field(default_factory=SignInLimits)
    #: Statuses already read: a case unchanged since costs a describe, not a query.
    statuses: StatusCache = field(default_factory=StatusCache)
    older: OlderCases = field(default_factory=OlderCases)
    lists: RecentLists = field(default_factory=RecentLists)
    #: The sign-in page offers the agency's identity provider (LEGISFLOW_OIDC_* set).
    oidc_sign_in: bool = False
    #: Dev and demo only: the demo CA's keys sign for the signed-in person (no token).
    demo_signers: DemoSigners | None = None
    #: The public's comments through the portal (``public_records/``).
    records: PublicComments | None = None

    def temporal(self) -> Client:
        assert self.client is not None, "the web app connects to Temporal at startup"
        return self.client

    def public_records(self) -> PublicComments:
        assert self.records is not None, "the web app opens the public's records at startup"
        return self.records

    def session(self, request: Request) -> Session:
        """The request's session; SignInFirst (a redirect to the sign-in page) if none."""
        session = session_of(request, self.local.key)
        if session is None:
            raise SignInFirst
        return session

    async def case(self, session: Session, case_id: str) -> CaseStatus:
        """The case's status if the person may see it (``web/access.py``); NoSuchCase if it
        does not exist or they may not: a case's existence is not disclosed to outsiders."""
        try:
            st = await self.statuses.status(self.temporal(), case_id)
        except (CaseError, RPCError, WorkflowQueryFailedError):
            raise NoSuchCase(case_id) from None
        if not may_see(st, session.person, self.directory):
            raise NoSuchCase(case_id)
        return st

    async def overview(self, seeker: Seeker) -> Overview:
        """The person's inbox, both tabs (``client.inbox.overview``)."""
        return await overview(
            self.temporal(), seeker, self.task_queue, names=self.name,
            statuses=self.statuses, older=self.older, lists=self.lists,
        )  # fmt: skip

    def missing(self, request: Request, session: Session, case_id: str) -> HTMLResponse:
        return self.refusal(
            request, session, f"Không tìm thấy hồ sơ {case_id} / no case {case_id!r}", 404
        )

    def check_form(self, session: Session, token: str) -> None:
        csrf.check_session_token(self.local.key, session, token)

    def type_name(self, doc_type: str) -> str:
        """A document type's name (Quyết định của Ủy ban nhân dân cấp tỉnh), not its code."""
        for d in self.registry:
            if d.doc_type == doc_type:
                return d.name
        return doc_type

    def agency_name(self, agency: str) -> str:
        try:
            return self.directory.agency(agency).name
        except KeyError:
            return agency

    def name(self, person: str) -> str:
        try:
            return self.directory.person(person).name
        except KeyError:
            return person

    def page(
        self,
        request: Request,
        template: str,
        session: Session | None = None,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        if session is not None:
            context.update(
                me=session.person,
                name=self.name(session.person),
                csrf=csrf.session_token(self.local.key, session),
            )
        lang = i18n.language(request)
        # Where the language switch comes back to: this page, or (a page that answered a
        # form, whose address takes a POST only) the one the caller names, else the inbox.
        here = "/"
        if request.method == "GET":
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        context.setdefault("here", here)
        context.update(lang=lang, _=i18n.translator(lang))
        context.setdefault("name", None)
        context.setdefault("type_name", self.type_name)
        context.setdefault("agency_name", self.agency_name)
        return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)

    def sign_in_page(
        self,
        request: Request,
        error: str | None = None,
        username: str = "",
        status_code: int = 200,
    ) -> HTMLResponse:
        """The sign-in page: legisflow's own accounts, and the agency's identity provider
        when one is configured (``web/oidc_pages.py``); ``error`` shown as an alert."""
        token = csrf.pre_session_token(request)
        response = self.page(
            request,
            "sign_in.html",
            status_code=status_code,
            error=error,
            username=username,
            csrf=token,
            oidc=self.oidc_sign_in,
        )
        csrf.set_pre_session_token(response, token, secure=self.secure_cookie)
        return response

    def refusal(
        self, request: Request, session: Session | None, message: str, status_code: int
    ) -> HTMLResponse:
        """A page that only says what went wrong (role="alert") and links home."""
        return self.page(request, "missing.html", session, status_code, error=message)


def workspace_pages(ws: Workspace) -> APIRouter:
    pages = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
    sign_in_page = ws.sign_in_page

    @pages.get(SIGN_IN)
    def sign_in_form(request: Request) -> HTMLResponse:
        return sign_in_page(request)

    @pages.post(SIGN_IN, response_model=None)
    def sign_in(
        request: Request,
        username: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        token: Annotated[str, Form(alias=csrf.FIELD)] = "",
    ) -> Response:
        username = username.strip()
        address = request.client.host if request.client else "?"
        try:
            csrf.check_pre_session_token(request, token)
            ws.limits.check(username, address)
            session = ws.local.sign_in(username, password)
        except (csrf.CsrfRefused, TooManyAttempts) as exc:
            return sign_in_page(request, str(exc), username, status_code=403)
        except SignInRefused as exc:
            ws.limits.failed(username, address)
            return sign_in_page(request, str(exc), username, status_code=401)
        ws.limits.succeeded(username)
        response = RedirectResponse("/", status_code=303)
        set_session(response, session, secure=ws.secure_cookie)
        return response

    @pages.post("/dang-xuat", response_model=None)
    def sign_out(request: Request, token: Annotated[str, Form(alias=csrf.FIELD)] = "") -> Response:
        session = session_of(request, ws.local.key)
        if session is not None:
            try:
                ws.check_form(session, token)
            except csrf.CsrfRefused as exc:
                return ws.refusal(request, session, str(exc), 403)
        response = RedirectResponse(SIGN_IN, status_code=303)
        clear_session(response)
        return response

    @pages.get("/ngon-ngu", response_model=None)
    def switch_language(request: Request, lang: str = i18n.VIETNAMESE, next: str = "/") -> Response:
        """Tiếng Việt / English: remembered in a cookie; back to the page it was asked from
        (a path on this site only)."""
        response = RedirectResponse(i18n.local_path(next), status_code=303)
        chosen = lang if lang in i18n.LANGUAGES else i18n.VIETNAMESE
        response.set_cookie(
            i18n.COOKIE, chosen, max_age=i18n.COOKIE_SECONDS, samesite="lax",
            secure=ws.secure_cookie, httponly=True,
        )  # fmt: skip
        return response

    @pages.get("/", response_model=None)
    async def home(request: Request, tab: str = "") -> Response:
        session = ws.session(request)
        seeker = Seeker.of(ws.directory, session.person)
        seen = await ws.overview(seeker)
        waiting = tab == WAITING_TAB
        return ws.page(
            request,
            "inbox.html",
            session,
            tab=WAITING_TAB if waiting else "",
            waiting_tab=WAITING_TAB,
            items=seen.waiting if waiting else seen.mine,
            counts=(len(seen.mine), len(seen.waiting)),
        )

    return pages
