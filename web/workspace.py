"""The officials' workspace (không gian làm việc): sign in, the inbox of what the signed-in
person can do now, and a case page where they do it. Server-rendered HTML (Jinja2), every
form usable without JavaScript; HTMX (vendored, ``web/static``) makes them partial requests.

A decision is sent through the client API on the web app's one Temporal client; its proof is
signed for the person of the request's session (``identity.signers.RequestSigner``), so the
web app, which holds the sign-in key, never acts for anyone but who is signed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError

from activities.ports import DocumentStore
from client.cases import act, status
from client.errors import CaseError
from client.inbox import inbox
from identity.accounts import SignInRefused
from identity.local import LocalSignIn
from identity.sessions import NotSignedIn, Session
from identity.signers import CURRENT_SESSION
from models.actors import Directory
from models.case import ActionRequest, AuditEntry
from models.documents import DEFAULT_MEDIA_TYPE
from web.cookies import clear_session, session_of, set_session
from workflows.drafting.legislative_process import LegislativeProcess

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
SIGN_IN = "/dang-nhap"
#: The largest upload the workspace takes (the client API's own limit for documents).
MAX_UPLOAD = 50 * 1024 * 1024


@dataclass
class Workspace:
    local: LocalSignIn
    store: DocumentStore
    directory: Directory
    #: The deployment's task queue: the cases the inbox lists.
    task_queue: str = "legisflow"
    #: Behind TLS: the cookie is sent over HTTPS only.
    secure_cookie: bool = False
    client: Client | None = None

    def temporal(self) -> Client:
        assert self.client is not None, "the web app connects to Temporal at startup"
        return self.client


def workspace_pages(ws: Workspace) -> APIRouter:
    pages = APIRouter(default_response_class=HTMLResponse)

    def page(request: Request, template: str, **context: Any) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(request, template, context)

    def signed_in(request: Request) -> Session | None:
        return session_of(request, ws.local.key)

    def person_name(person: str) -> str:
        try:
            return ws.directory.person(person).name
        except KeyError:
            return person

    @pages.get(SIGN_IN)
    def sign_in_form(request: Request) -> HTMLResponse:
        return page(request, "sign_in.html", error=None, person="")

    @pages.post(SIGN_IN, response_model=None)
    def sign_in(
        request: Request, person: Annotated[str, Form()], password: Annotated[str, Form()]
    ) -> Response:
        try:
            session = ws.local.sign_in(person.strip(), password)
        except SignInRefused as exc:
            return page(request, "sign_in.html", error=str(exc), person=person)
        response = RedirectResponse("/", status_code=303)
        set_session(response, session, secure=ws.secure_cookie)
        return response

    @pages.post("/dang-xuat")
    def sign_out() -> RedirectResponse:
        response = RedirectResponse(SIGN_IN, status_code=303)
        clear_session(response)
        return response

    @pages.get("/", response_model=None)
    async def home(request: Request) -> Response:
        session = signed_in(request)
        if session is None:
            return RedirectResponse(SIGN_IN, status_code=303)
        items = await inbox(ws.temporal(), session.person, ws.task_queue)
        return page(
            request, "inbox.html", me=session.person, name=person_name(session.person), items=items
        )

    async def case_page(
        request: Request,
        session: Session,
        case_id: str,
        *,
        error: str | None = None,
        done: str | None = None,
    ) -> HTMLResponse:
        client = ws.temporal()
        st = await status(client, case_id)
        trail: list[AuditEntry] = await client.get_workflow_handle(case_id).query(
            LegislativeProcess.audit
        )
        me = session.person
        return page(
            request,
            "case.html",
            me=me,
            name=person_name(me),
            st=st,
            mine=[a for a in st.allowed if me in a.actors],
            others=[a for a in st.allowed if me not in a.actors],
            trail=trail,
            declared=any(d.person == me for d in st.declarations),
            names=person_name,
            error=error,
            done=done,
        )

    @pages.get("/ho-so/{case_id:path}", response_model=None)
    async def show_case(request: Request, case_id: str) -> Response:
        session = signed_in(request)
        if session is None:
            return RedirectResponse(SIGN_IN, status_code=303)
        try:
            return await case_page(request, session, case_id)
        except (CaseError, RPCError, WorkflowQueryFailedError):
            return page(
                request,
                "missing.html",
                error=f"Không tìm thấy hồ sơ {case_id} / no case {case_id!r}",
                name=person_name(session.person),
            )

    @pages.post("/thao-tac/{case_id:path}", response_model=None)
    async def take_action(
        request: Request,
        case_id: str,
        action: Annotated[str, Form()],
        note: Annotated[str, Form()] = "",
        no_interest: Annotated[bool, Form()] = False,
        file: UploadFile | None = None,
    ) -> Response:
        session = signed_in(request)
        if session is None:
            return RedirectResponse(SIGN_IN, status_code=303)
        token = CURRENT_SESSION.set(session)
        try:
            request_ = ActionRequest(
                action=action,
                actor=session.person,
                note=note.strip() or None,
                declare_no_interest=no_interest,
            )
            if file is not None and file.filename:
                data = await file.read(MAX_UPLOAD + 1)
                if len(data) > MAX_UPLOAD:
                    raise CaseError("tệp quá lớn / the file is larger than 50 MiB")
                doc = ws.store.put_blob(
                    data, file.filename, file.content_type or DEFAULT_MEDIA_TYPE
                )
                request_ = request_.model_copy(update={"document": doc})
            result = await act(ws.temporal(), case_id, request_)
        except (CaseError, NotSignedIn) as exc:
            return await case_page(request, session, case_id, error=str(exc))
        except ValidationError as exc:
            reasons = "; ".join(str(e["msg"]) for e in exc.errors())
            return await case_page(request, session, case_id, error=reasons)
        finally:
            CURRENT_SESSION.reset(token)
        return await case_page(
            request, session, case_id, done=f"Đã chuyển sang bước / now in: {result.stage_label}"
        )

    return pages
