"""Citizens' feedback in the workspace (kiến nghị, phản ánh về văn bản đang có hiệu lực): the
handler of the competent agency reads the feedback's text and, within its legal time limits,
classifies it, forwards it to the competent agency, answers it or proposes an amendment of
the document. The actions offered are the feedback procedure's own (``post_issuance.yaml``)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError

from activities.ports import StoreError
from activities.post_issuance import cached_rules
from client.after_issuance import (
    answer_feedback,
    classify_feedback,
    feedback_status,
    forward_feedback,
    propose_amendment,
)
from client.documents import upload_bytes
from client.errors import CaseError
from identity.sessions import NotSignedIn, Session
from identity.signers import acting_as
from models.choices import Category
from models.definition import SYSTEM_ACTOR
from models.documents import MAX_DOCUMENT_BYTES
from models.feedback import AmendmentProposal, ClassifyRequest, FeedbackStatus, ForwardRequest
from web import csrf
from web.workspace import NoSuchCase, Workspace, said

CATEGORY_LABELS = {Category.RECOMMENDATION: "Kiến nghị", Category.REPORT: "Phản ánh"}


def feedback_pages(ws: Workspace) -> APIRouter:
    pages = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

    async def visible(session: Session, feedback_id: str) -> FeedbackStatus:
        try:
            st = await feedback_status(ws.temporal(), feedback_id)
        except (CaseError, RPCError, WorkflowQueryFailedError):
            raise NoSuchCase(feedback_id) from None
        try:
            agency = ws.directory.person(session.person).agency
        except KeyError:
            agency = None
        if session.person not in st.answerers and agency != st.agency:
            raise NoSuchCase(feedback_id)
        return st

    def text_of(st: FeedbackStatus) -> str:
        if st.body is None:
            return ""
        try:
            return str(json.loads(ws.store.get_blob(st.body.sha256)).get("text", ""))
        except (StoreError, ValueError):
            return "(không đọc được nội dung / the text cannot be read)"

    def show(
        request: Request,
        session: Session,
        st: FeedbackStatus,
        *,
        error: str | None = None,
        done: str | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        procedure = cached_rules().feedback.procedure
        mine = session.person in st.answerers and not st.final
        actions = (
            [t for t in procedure.transitions if st.stage in t.source and t.role != SYSTEM_ACTOR]
            if mine
            else []
        )
        return ws.page(
            request,
            "feedback.html",
            session,
            status_code,
            st=st,
            text=text_of(st),
            actions=actions,
            may_propose=mine,
            categories=CATEGORY_LABELS,
            agencies=[a for a in ws.directory.agencies if a.id != st.agency],
            declared=any(d.person == session.person for d in st.declarations),
            action_label={t.action: t.label for t in procedure.transitions},
            names=ws.name,
            error=error,
            done=done,
        )

    @pages.get("/phan-anh/{feedback_id:path}", response_model=None)
    async def feedback(request: Request, feedback_id: str) -> Response:
        session = ws.session(request)
        try:
            return show(request, session, await visible(session, feedback_id))
        except NoSuchCase:
            return ws.missing(request, session, feedback_id)

    @pages.post("/xu-ly-phan-anh/{feedback_id:path}", response_model=None)
    async def handle(
        request: Request,
        feedback_id: str,
        action: Annotated[str, Form()],
        note: Annotated[str, Form()] = "",
        category: Annotated[str, Form()] = "",
        agency: Annotated[str, Form()] = "",
        no_interest: Annotated[bool, Form()] = False,
        token: Annotated[str, Form(alias=csrf.FIELD)] = "",
        file: UploadFile | None = None,
    ) -> Response:
        session = ws.session(request)
        try:
            st = await visible(session, feedback_id)
        except NoSuchCase:
            return ws.missing(request, session, feedback_id)
        me = session.person
        text = note.strip() or None

        async def answer(client: Client) -> str:
            document = None
            if file is not None and file.filename:
                data = await file.read(MAX_DOCUMENT_BYTES + 1)
                document = upload_bytes(ws.store, file.filename, data)
            await answer_feedback(
                client, ws.store, feedback_id, actor=me, text=text, document=document,
                declare_no_interest=no_interest,
            )  # fmt: skip
            return "Đã trả lời phản ánh / the feedback is answered"

        async def classify(client: Client) -> str:
            if category not in {c.value for c in Category}:
                raise CaseError("Chọn loại: kiến nghị hay phản ánh / choose what it is")
            req = ClassifyRequest(
                actor=me, category=Category(category), note=text, declare_no_interest=no_interest
            )
            await classify_feedback(client, feedback_id, req)
            return "Đã phân loại / classified"

        async def forward(client: Client) -> str:
            req = ForwardRequest(
                actor=me, agency=agency, note=text, declare_no_interest=no_interest
            )
            await forward_feedback(client, feedback_id, req)
            return f"Đã chuyển đến / forwarded to {agency}"

        async def propose(client: Client) -> str:
            req = AmendmentProposal(actor=me, reason=note.strip(), declare_no_interest=no_interest)
            link = await propose_amendment(client, feedback_id, req)
            return f"Đã đề xuất sửa đổi / amendment proposed: {link.target}"

        sends: dict[str, Callable[[Client], Awaitable[str]]] = {
            "answer": answer,
            "classify": classify,
            "forward": forward,
            "propose_amendment": propose,
        }
        send = sends.get(action)
        if send is None:
            return show(
                request, session, st, error=f"không có thao tác {action!r}", status_code=422
            )
        with acting_as(session):
            try:
                ws.check_form(session, token)
                done = await send(ws.temporal())
            except csrf.CsrfRefused as exc:
                return show(request, session, st, error=str(exc), status_code=403)
            except (CaseError, NotSignedIn) as exc:
                return show(request, session, st, error=str(exc), status_code=409)
            except ValidationError as exc:
                reasons = said(exc)
                return show(request, session, st, error=reasons, status_code=422)
        return show(request, session, await visible(session, feedback_id), done=done)

    @pages.get("/tep/{sha256}/{feedback_id:path}", response_model=None)
    async def answer_file(request: Request, sha256: str, feedback_id: str) -> Response:
        """The answer's file, for those who may see the feedback case."""
        session = ws.session(request)
        try:
            st = await visible(session, feedback_id)
        except NoSuchCase:
            return ws.missing(request, session, feedback_id)
        if st.answer is None or st.answer.sha256 != sha256:
            return ws.missing(request, session, feedback_id)
        return Response(
            ws.store.get_blob(sha256),
            media_type=st.answer.media_type,
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(st.answer.name)}",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return pages
