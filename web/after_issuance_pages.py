"""A document in force in the workspace (văn bản đang có hiệu lực): its monitoring (theo dõi
thi hành) with the events officers record and the reports they download, the citizens'
feedback still open, and its legality checks (kiểm tra văn bản): a checker opens one and
concludes it, the issuer handles the conclusion.

Who sees it: the drafting agency, the monitoring officers and feedback answerers the
monitoring names, and the directory's checkers and higher authority (they act on documents
they did not draft). The workflows check every decision themselves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError

from client.after_issuance import (
    check_status,
    conclude_check,
    generate_report,
    handle_check,
    monitoring_status,
    open_check,
    record_event,
)
from client.documents import upload_bytes
from client.errors import CaseError
from identity.sessions import NotSignedIn, Session
from identity.signers import acting_as
from models.choices import EventKind, Handling, Outcome
from models.documents import MAX_DOCUMENT_BYTES, DocumentRef
from models.legality_check import CheckStatus, Conclusion, HandlingRequest
from models.monitoring import EventRequest, MonitoringStatus
from web import csrf
from web.workspace import NoSuchCase, Workspace, said

#: Directory roles that act on documents other agencies drafted.
OVERSIGHT_ROLES = ("checker", "higher_authority")
OUTCOME_LABELS = {
    Outcome.CLEAN: "Không phát hiện sai sót",
    Outcome.FORM_ERRORS: "Sai sót về thể thức, kỹ thuật trình bày",
    Outcome.UNLAWFUL: "Nội dung trái pháp luật",
}

Send = Callable[[Client], Awaitable[str]]


def after_issuance_pages(ws: Workspace) -> APIRouter:
    pages = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

    def oversees(person: str) -> bool:
        try:
            return any(r in OVERSIGHT_ROLES for r in ws.directory.person(person).roles)
        except KeyError:
            return False

    def agency_of(person: str) -> str | None:
        try:
            return ws.directory.person(person).agency
        except KeyError:
            return None

    async def monitoring(session: Session, case_id: str) -> MonitoringStatus:
        try:
            st = await monitoring_status(ws.temporal(), case_id)
        except (CaseError, RPCError, WorkflowQueryFailedError):
            raise NoSuchCase(case_id) from None
        me = session.person
        if not (
            agency_of(me) == st.document.drafting_agency
            or me in st.monitoring_officers
            or me in st.feedback_answerers
            or oversees(me)
        ):
            raise NoSuchCase(case_id)
        return st

    async def check(session: Session, cid: str) -> CheckStatus:
        try:
            st = await check_status(ws.temporal(), cid)
        except (CaseError, RPCError, WorkflowQueryFailedError):
            raise NoSuchCase(cid) from None
        me = session.person
        named = {*st.checkers, *st.issuers, *st.higher_authority, st.opened_by}
        if me not in named and not oversees(me):
            await monitoring(session, st.document_id)  # NoSuchCase if they may not see it
        return st

    def monitoring_page(
        request: Request,
        session: Session,
        st: MonitoringStatus,
        *,
        error: str | None = None,
        done: str | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        me = session.person
        return ws.page(
            request,
            "monitoring.html",
            session,
            status_code,
            st=st,
            officer=me in st.monitoring_officers,
            checker=oversees(me),
            kinds=list(EventKind),
            names=ws.name,
            error=error,
            done=done,
        )

    def check_page(
        request: Request,
        session: Session,
        st: CheckStatus,
        *,
        error: str | None = None,
        done: str | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        me = session.person
        return ws.page(
            request,
            "check.html",
            session,
            status_code,
            st=st,
            may_conclude=me in st.checkers and st.conclusion is None and not st.final,
            may_handle=bool(st.allowed_handlings)
            and (me in st.issuers or me in st.higher_authority)
            and not st.final,
            outcomes=OUTCOME_LABELS,
            handlings=list(Handling),
            declared=any(d.person == me for d in st.declarations),
            names=ws.name,
            error=error,
            done=done,
        )

    async def sending(
        session: Session, token: str, send: Send
    ) -> tuple[str | None, str | None, int]:
        """(done, error, status) of one decision sent for the session's person."""
        with acting_as(session):
            try:
                ws.check_form(session, token)
                return await send(ws.temporal()), None, 200
            except csrf.CsrfRefused as exc:
                return None, str(exc), 403
            except (CaseError, NotSignedIn) as exc:
                return None, str(exc), 409
            except ValidationError as exc:
                return None, said(exc), 422

    async def attached(file: UploadFile | None) -> DocumentRef | None:
        if file is None or not file.filename:
            return None
        return upload_bytes(ws.store, file.filename, await file.read(MAX_DOCUMENT_BYTES + 1))

    @pages.get("/theo-doi/{case_id:path}", response_model=None)
    async def show_monitoring(request: Request, case_id: str) -> Response:
        session = ws.session(request)
        try:
            return monitoring_page(request, session, await monitoring(session, case_id))
        except NoSuchCase:
            return ws.missing(request, session, case_id)

    @pages.post("/theo-doi/{case_id:path}", response_model=None)
    async def act_on_monitoring(
        request: Request,
        case_id: str,
        what: Annotated[str, Form()],
        kind: Annotated[str, Form()] = "",
        note: Annotated[str, Form()] = "",
        token: Annotated[str, Form(alias=csrf.FIELD)] = "",
        file: UploadFile | None = None,
    ) -> Response:
        session = ws.session(request)
        try:
            st = await monitoring(session, case_id)
        except NoSuchCase:
            return ws.missing(request, session, case_id)
        me = session.person

        async def record(client: Client) -> str:
            if kind not in {k.value for k in EventKind}:
                raise CaseError("Chọn loại việc / choose what was done")
            req = EventRequest(
                actor=me, kind=EventKind(kind), note=note.strip(), document=await attached(file)
            )
            event = await record_event(client, case_id, req)
            return f"Đã ghi nhận / recorded: {event.kind.label}"

        async def report(client: Client) -> str:
            refs = await generate_report(client, case_id, me)
            return "Đã lập báo cáo / report made: " + ", ".join(r.name for r in refs)

        async def start_check(client: Client) -> str:
            cid = await open_check(
                client, ws.directory, case_id, checker=me, task_queue=ws.task_queue,
                note=note.strip() or None,
            )  # fmt: skip
            return cid

        if what == "check":
            done, error, code = await sending(session, token, start_check)
            if done is not None:
                return RedirectResponse(f"/kiem-tra/{done}", status_code=303)
            return monitoring_page(request, session, st, error=error, status_code=code)
        send = {"record": record, "report": report}.get(what)
        if send is None:
            return monitoring_page(request, session, st, error="?", status_code=422)
        done, error, code = await sending(session, token, send)
        if error is not None:
            return monitoring_page(request, session, st, error=error, status_code=code)
        return monitoring_page(request, session, await monitoring(session, case_id), done=done)

    @pages.get("/bao-cao/{sha256}/{case_id:path}", response_model=None)
    async def report_file(request: Request, sha256: str, case_id: str) -> Response:
        """A monitoring report (Word or Markdown), for those who may see the document."""
        session = ws.session(request)
        try:
            st = await monitoring(session, case_id)
        except NoSuchCase:
            return ws.missing(request, session, case_id)
        refs = [d for r in st.reports for d in r.documents if d.sha256 == sha256]
        if not refs:
            return ws.missing(request, session, case_id)
        return Response(
            ws.store.get_blob(sha256),
            media_type=refs[0].media_type,
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(refs[0].name)}",
                "X-Content-Type-Options": "nosniff",
            },
        )

    @pages.get("/kiem-tra/{cid:path}", response_model=None)
    async def show_check(request: Request, cid: str) -> Response:
        session = ws.session(request)
        try:
            return check_page(request, session, await check(session, cid))
        except NoSuchCase:
            return ws.missing(request, session, cid)

    @pages.post("/kiem-tra/{cid:path}", response_model=None)
    async def act_on_check(
        request: Request,
        cid: str,
        what: Annotated[str, Form()],
        outcome: Annotated[str, Form()] = "",
        findings: Annotated[str, Form()] = "",
        basis: Annotated[str, Form()] = "",
        handling: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI's form default)
        note: Annotated[str, Form()] = "",
        no_interest: Annotated[bool, Form()] = False,
        token: Annotated[str, Form(alias=csrf.FIELD)] = "",
        file: UploadFile | None = None,
    ) -> Response:
        session = ws.session(request)
        try:
            st = await check(session, cid)
        except NoSuchCase:
            return ws.missing(request, session, cid)
        me = session.person

        async def conclude(client: Client) -> str:
            if outcome not in {o.value for o in Outcome}:
                raise CaseError("Chọn kết luận / choose the outcome")
            req = Conclusion(
                actor=me,
                outcome=Outcome(outcome),
                findings=findings.strip() or None,
                basis=basis.strip() or None,
                handling=tuple(Handling(h) for h in handling if h in {x.value for x in Handling}),
                note=note.strip() or None,
                document=await attached(file),
                declare_no_interest=no_interest,
            )
            await conclude_check(client, cid, req)
            return f"Đã kết luận / concluded: {OUTCOME_LABELS[Outcome(outcome)]}"

        async def handle(client: Client) -> str:
            chosen = next(iter(handling), "")
            if chosen not in {h.value for h in Handling}:
                raise CaseError("Chọn cách xử lý / choose the handling")
            req = HandlingRequest(
                actor=me,
                action=Handling(chosen),
                note=note.strip() or None,
                document=await attached(file),
                declare_no_interest=no_interest,
            )
            await handle_check(client, cid, req)
            return f"Đã xử lý / handled: {Handling(chosen).label}"

        send = {"conclude": conclude, "handle": handle}.get(what)
        if send is None:
            return check_page(request, session, st, error="?", status_code=422)
        done, error, code = await sending(session, token, send)
        if error is not None:
            return check_page(request, session, st, error=error, status_code=code)
        return check_page(request, session, await check(session, cid), done=done)

    return pages
