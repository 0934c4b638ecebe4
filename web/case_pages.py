"""The case page (trang hồ sơ) and what is done from it: take an action with its note and
document, download any version of the case's documents, compare two versions of a text.

Every page checks the signed-in person against the case (``web/access.py``): a person who may
not see it is told it does not exist (404), as for a case that does not.
"""

from __future__ import annotations

import base64
import difflib
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from temporalio.client import Client

from client.cases import act, give_direction, raise_issue, reply
from client.documents import text_of, upload_bytes
from client.errors import CaseError
from client.signing import act_with_signed, case_roots, text_to_sign
from identity.sessions import NotSignedIn, Session
from identity.signers import acting_as
from models.case import ActionRequest, ActionResult, AuditEntry, CaseStatus, ReplyRequest
from models.contested_issues import DirectionRequest, RaiseIssueRequest
from models.documents import MAX_DOCUMENT_BYTES, DocumentRef, DocumentVersion
from models.signature_evidence import MAX_CMS_BYTES, approval_statement
from models.signatures import SignatureReport
from signatures.pdf import verify_pdf
from web import csrf, i18n
from web.case_view import Labels, came_back, stage_path, stuck_actions
from web.workspace import NoSuchCase, Workspace, said
from workflows.drafting.legislative_process import LegislativeProcess


def case_pages(ws: Workspace) -> APIRouter:
    pages = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

    async def case_page(
        request: Request,
        session: Session,
        st: CaseStatus,
        *,
        error: str | None = None,
        done: str | None = None,
        status_code: int = 200,
        kept: dict[str, str] | None = None,
        report: SignatureReport | None = None,
        checked: tuple[str, str, str] | None = None,
    ) -> HTMLResponse:
        """``kept``: what a refused form held, shown again in it (nothing typed is lost);
        ``report``: a signature checked before submitting."""
        trail: list[AuditEntry] = (
            await ws.temporal().get_workflow_handle(st.id).query(LegislativeProcess.audit)
        )
        me = session.person
        labels = Labels.of(ws.registry, st, english=i18n.language(request) == i18n.ENGLISH)
        people = {p for holders in st.roles.values() for p in holders} | {e.actor for e in trail}
        names = {p: ws.name(p) for p in people}
        return ws.page(
            request,
            "case.html",
            session,
            status_code,
            st=st,
            labels=labels,
            mine=[a for a in st.allowed if me in a.actors],
            others=[a for a in st.allowed if me not in a.actors],
            stuck=stuck_actions(st, trail, labels, names),
            returned=came_back(st, trail, labels),
            path=stage_path(st, trail, labels),
            monitored=st.final and labels.monitored(st.stage),
            trail=trail,
            asked=[c for c in st.consultations if me in c.holders and c.replied_by is None],
            directing=[i for i in st.issues if me in i.holders and not i.settled],
            may_raise=me in st.issue_raisers,
            declared=any(d.person == me for d in st.declarations),
            names=ws.name,
            error=error,
            done=done,
            kept=kept or {},
            report=report,
            checked=checked,
            demo_signing=ws.demo_signers is not None,
            here=f"/ho-so/{st.id}",
        )

    @pages.get("/ho-so/{case_id:path}", response_model=None)
    async def show_case(request: Request, case_id: str) -> Response:
        session = ws.session(request)
        try:
            return await case_page(request, session, await ws.case(session, case_id))
        except NoSuchCase:
            return ws.missing(request, session, case_id)

    async def decide(
        request: Request,
        session: Session,
        case_id: str,
        token: str,
        send: Callable[[Client], Awaitable[str]],
        kept: dict[str, str] | None = None,
    ) -> Response:
        """Send one decision for the session's person and show the case with its result at
        once (the Update's answer; visibility may lag), or with the refusal in place."""
        try:
            st = await ws.case(session, case_id)
        except NoSuchCase:
            return ws.missing(request, session, case_id)
        with acting_as(session):
            try:
                ws.check_form(session, token)
                ws.statuses.forget(case_id)
                done = await send(ws.temporal())
            except csrf.CsrfRefused as exc:
                return await case_page(
                    request, session, st, error=str(exc), status_code=403, kept=kept
                )
            except (CaseError, NotSignedIn) as exc:
                return await case_page(
                    request, session, st, error=str(exc), status_code=409, kept=kept
                )
            except ValidationError as exc:
                reasons = said(exc)
                return await case_page(
                    request, session, st, error=reasons, status_code=422, kept=kept
                )
        return await case_page(request, session, await ws.case(session, case_id), done=done)

    async def attached(file: UploadFile | None) -> DocumentRef | None:
        if file is None or not file.filename:
            return None
        return upload_bytes(ws.store, file.filename, await file.read(MAX_DOCUMENT_BYTES + 1))

    def decision(session: Session, action: str, note: str, no_interest: bool) -> ActionRequest:
        """The signed-in person's decision as a form states it."""
        return ActionRequest(
            action=action, actor=session.person, note=note.strip() or None,
            declare_no_interest=no_interest,
        )  # fmt: skip

    async def submit_signed(
        client: Client, session: Session, case_id: str, req: ActionRequest, pdf: bytes, name: str
    ) -> ActionResult:
        """The decision with its signed PDF, checked whole against the case's roots before it
        goes (the case checks the signature again itself)."""
        roots = await case_roots(client, case_id)
        return await act_with_signed(
            client, ws.store, case_id, req, pdf, name, roots, known(session.person)
        )

    @pages.post("/thao-tac/{case_id:path}", response_model=None)
    async def take_action(
        request: Request,
        case_id: str,
        action: Annotated[str, Form()],
        note: Annotated[str, Form()] = "",
        no_interest: Annotated[bool, Form()] = False,
        token: Annotated[str, Form(alias=csrf.FIELD)] = "",
        file: UploadFile | None = None,
        approval: UploadFile | None = None,
        checked: Annotated[str, Form()] = "",
    ) -> Response:
        session = ws.session(request)

        async def send(client: Client) -> str:
            req = decision(session, action, note, no_interest).model_copy(
                update={"approval": await approval_signature(approval)}
            )
            st = await ws.case(session, case_id)
            if any(a.action == action and a.requires_signature for a in st.allowed):
                name, pdf = await signed_file(file, checked)
                result = await submit_signed(client, session, case_id, req, pdf, name)
            else:
                document = await attached(file)
                result = await act(client, case_id, req.model_copy(update={"document": document}))
            return f"Đã chuyển sang bước / now in: {result.stage_label}"

        return await decide(request, session, case_id, token, send)

    @pages.post("/ky-thu/{case_id:path}", response_model=None)
    async def sign_with_demo_key(
        request: Request,
        case_id: str,
        action: Annotated[str, Form()],
        note: Annotated[str, Form()] = "",
        no_interest: Annotated[bool, Form()] = False,
        token: Annotated[str, Form(alias=csrf.FIELD)] = "",
    ) -> Response:
        """Dev and demo only: the signed-in person's demo key signs the text (or the
        decision's statement) and the decision goes, as if from their token."""
        session = ws.session(request)
        signers = ws.demo_signers
        if signers is None:
            return ws.refusal(
                request, session, "Không có khóa thử nghiệm ở đây / no demo keys here", 404
            )

        async def send(client: Client) -> str:
            req = decision(session, action, note, no_interest)
            st = await ws.case(session, case_id)
            may = next((a for a in st.allowed if a.action == action), None)
            if may is not None and may.requires_signature:
                pdf = await signers.sign(session.person, await text_to_sign(ws.store, st))
                result = await submit_signed(
                    client, session, case_id, req, pdf, f"{action}-ky-thu.pdf"
                )
            else:
                statement = approval_statement(case_id, action, session.person, None)
                approval = await signers.approve(session.person, statement)
                result = await act(client, case_id, req.model_copy(update={"approval": approval}))
            return (
                "Đã ký số bằng khóa thử nghiệm / signed with the demo key; "
                f"đã chuyển sang bước / now in: {result.stage_label}"
            )

        return await decide(request, session, case_id, token, send)

    @pages.post("/kiem-tra-chu-ky/{case_id:path}", response_model=None)
    async def check_signature(
        request: Request,
        case_id: str,
        action: Annotated[str, Form()] = "",
        token: Annotated[str, Form(alias=csrf.FIELD)] = "",
        file: UploadFile | None = None,
    ) -> Response:
        """Kiểm tra chữ ký trước khi nộp: the signature report of the uploaded file, on the
        case page; nothing is sent to the case. A valid file is kept (by its digest) so the
        signing button submits it without uploading it again."""
        session = ws.session(request)
        kept: tuple[str, str, str] | None = None
        try:
            st = await ws.case(session, case_id)
            ws.check_form(session, token)
            name, pdf = await signed_file(file)
            roots = await case_roots(ws.temporal(), case_id)
            report = await verify_pdf(
                pdf, roots, person=session.person, known=known(session.person)
            )
            if report.valid:
                kept = (action, ws.store.put_blob(pdf, name, "application/pdf").sha256, name)
        except NoSuchCase:
            return ws.missing(request, session, case_id)
        except csrf.CsrfRefused as exc:
            return await case_page(request, session, st, error=str(exc), status_code=403)
        except CaseError as exc:
            return await case_page(request, session, st, error=str(exc), status_code=422)
        return await case_page(request, session, st, report=report, checked=kept)

    @pages.get("/noi-dung-phe-duyet/{case_id:path}", response_model=None)
    async def statement_to_sign(request: Request, case_id: str, action: str) -> Response:
        """Tải về nội dung phê duyệt: what a signed approval of ``action`` signs (this case,
        this action, this person), to sign with the official's tool (a detached signature,
        .p7s)."""
        session = ws.session(request)
        try:
            await ws.case(session, case_id)
        except NoSuchCase:
            return ws.missing(request, session, case_id)
        name = f"phe-duyet-{action}.json"
        return Response(
            approval_statement(case_id, action, session.person, None),
            media_type="application/json",
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
                "X-Content-Type-Options": "nosniff",
            },
        )

    def known(person: str) -> tuple[str, ...]:
        """The fingerprints of the person's signing certificates the directory lists."""
        try:
            return ws.directory.person(person).certificates
        except KeyError:
            return ()

    async def approval_signature(file: UploadFile | None) -> str | None:
        """The uploaded detached signature (.p7s, DER or base64), as the decision carries it."""
        if file is None or not file.filename:
            return None
        content = await file.read(MAX_CMS_BYTES + 1)
        if len(content) > MAX_CMS_BYTES:
            raise CaseError(f"{file.filename}: quá lớn / too large for a signature")
        text = content.strip()
        if text.startswith(b"MI"):  # already base64 (a DER SEQUENCE starts "MI…")
            return text.decode("ascii", "replace")
        return base64.b64encode(content).decode()

    @pages.get("/ban-de-ky/{case_id:path}", response_model=None)
    async def for_signing(request: Request, case_id: str) -> Response:
        """Tải về bản để ký: the latest text as a PDF (a PDF version as it is), to sign with
        the official's own signing tool."""
        session = ws.session(request)
        try:
            st = await ws.case(session, case_id)
        except NoSuchCase:
            return ws.missing(request, session, case_id)
        try:
            pdf = await text_to_sign(ws.store, st)
        except CaseError as exc:
            return await case_page(request, session, st, error=str(exc), status_code=422)
        name = f"ban-de-ky-{case_id.split(':')[-1]}.pdf"
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
                "X-Content-Type-Options": "nosniff",
            },
        )

    async def signed_file(file: UploadFile | None, checked: str = "") -> tuple[str, bytes]:
        """The uploaded signed PDF, or the one checked a moment ago (``checked``: its
        digest, kept in the store by the check)."""
        if (file is None or not file.filename) and checked:
            if len(checked) != 64 or not ws.store.has_blob(checked):
                raise CaseError("tệp đã kiểm tra không còn / the checked file is gone: upload it")
            return "da-ky.pdf", ws.store.get_blob(checked)
        if file is None or not file.filename:
            raise CaseError(
                "cần tải lên tệp PDF đã ký số / upload the signed PDF (the file your signing "
                "tool returned)"
            )
        content = await file.read(MAX_DOCUMENT_BYTES + 1)
        if len(content) > MAX_DOCUMENT_BYTES or not content.startswith(b"%PDF-"):
            raise CaseError(
                f"{file.filename}: không phải tệp PDF (hoặc quá lớn) / not a PDF (or too large)"
            )
        return file.filename, content

    @pages.post("/tra-loi/{case_id:path}", response_model=None)
    async def answer_request(
        request: Request,
        case_id: str,
        role: Annotated[str, Form()],
        note: Annotated[str, Form()] = "",
        no_interest: Annotated[bool, Form()] = False,
        token: Annotated[str, Form(alias=csrf.FIELD)] = "",
        file: UploadFile | None = None,
    ) -> Response:
        """A consulted body's written opinion (ý kiến bằng văn bản), from its inbox."""
        session = ws.session(request)

        async def send(client: Client) -> str:
            req = ReplyRequest(
                actor=session.person,
                role=role,
                note=note.strip() or None,
                declare_no_interest=no_interest,
                document=await attached(file),
            )
            view = await reply(client, case_id, req)
            return f"Đã gửi ý kiến / opinion sent: {view.label}"

        return await decide(request, session, case_id, token, send)

    @pages.post("/xin-chi-dao/{case_id:path}", response_model=None)
    async def send_issue_up(
        request: Request,
        case_id: str,
        question: Annotated[str, Form()] = "",
        options: Annotated[str, Form()] = "",
        proposal: Annotated[str, Form()] = "",
        token: Annotated[str, Form(alias=csrf.FIELD)] = "",
    ) -> Response:
        """The drafting unit sends an issue up for direction (xin ý kiến chỉ đạo), with its
        options one per line."""
        session = ws.session(request)

        async def send(client: Client) -> str:
            choices = [line.strip() for line in options.splitlines() if line.strip()]
            if len(choices) < 2:
                raise CaseError(
                    "Cần ít nhất 2 phương án, mỗi phương án một dòng / give at least 2 "
                    "options, one per line"
                )
            req = RaiseIssueRequest(
                actor=session.person,
                question=question.strip(),
                options=choices,
                proposal=proposal.strip() or None,
            )
            issue = await raise_issue(client, case_id, req)
            return (
                f"Đã xin ý kiến chỉ đạo (vấn đề {issue.number}); hạn cho ý kiến: "
                f"{issue.due_legal_date:%d/%m/%Y}"
            )

        kept = {"question": question, "options": options, "proposal": proposal}
        return await decide(request, session, case_id, token, send, kept)

    @pages.post("/chi-dao/{case_id:path}", response_model=None)
    async def direct_issue(
        request: Request,
        case_id: str,
        issue: Annotated[int, Form()],
        direction: Annotated[str, Form()] = "",
        option: Annotated[str, Form()] = "",
        no_interest: Annotated[bool, Form()] = False,
        token: Annotated[str, Form(alias=csrf.FIELD)] = "",
    ) -> Response:
        """The competent authority's direction on an issue (ý kiến chỉ đạo), from its inbox."""
        session = ws.session(request)

        async def send(client: Client) -> str:
            req = DirectionRequest(
                actor=session.person,
                issue=issue,
                option=int(option) if option.isdigit() else None,
                direction=direction.strip(),
                declare_no_interest=no_interest,
            )
            done = await give_direction(client, case_id, req)
            return f"Đã cho ý kiến chỉ đạo về vấn đề {done.number}"

        return await decide(request, session, case_id, token, send)

    def version_of(st: CaseStatus, n: int) -> DocumentVersion:
        for v in st.documents:
            if v.version == n:
                return v
        raise NoSuchCase(st.id)

    @pages.get("/van-ban/{version}/{case_id:path}", response_model=None)
    async def download(request: Request, version: int, case_id: str) -> Response:
        session = ws.session(request)
        try:
            v = version_of(await ws.case(session, case_id), version)
        except NoSuchCase:
            return ws.missing(request, session, case_id)
        ref = v.document
        return Response(
            ws.store.get_blob(ref.sha256),
            media_type=ref.media_type,
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(ref.name, safe='')}",
                "X-Content-Type-Options": "nosniff",
            },
        )

    @pages.get("/so-sanh/{case_id:path}", response_model=None)
    async def compare(request: Request, case_id: str, a: int, b: int) -> Response:
        session = ws.session(request)
        try:
            st = await ws.case(session, case_id)
            old, new = version_of(st, a), version_of(st, b)
        except NoSuchCase:
            return ws.missing(request, session, case_id)
        try:
            lines = [
                text_of(v.document.name, ws.store.get_blob(v.document.sha256)).splitlines()
                for v in (old, new)
            ]
        except CaseError as exc:
            return ws.refusal(request, session, f"Không so sánh được: {exc}", 422)
        diff = list(difflib.ndiff(lines[0], lines[1]))
        return ws.page(
            request,
            "compare.html",
            session,
            st=st,
            old=old,
            new=new,
            rows=[(line[:1], line[2:]) for line in diff if not line.startswith("?")],
        )

    return pages
