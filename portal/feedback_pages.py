"""The portal's pages for feedback on documents in force (kiến nghị, phản ánh về văn bản đang
có hiệu lực): the documents that take feedback, a form per document, the receipt with its
tracking code (``PA-…``), and the tracking page showing where the feedback stands: received
(đã tiếp nhận), forwarded to the competent agency (đã chuyển cơ quan có thẩm quyền), answered
(đã trả lời) with the answer, and the legal time limits.

A submission is committed to the public's records and answered at once; the forwarder
(``portal/feedback_forwarder.py``) hands it to the document's monitoring afterwards. No page
shows a name or a contact, and none reaches Temporal. Every page reads without JavaScript; a
refusal is shown in the page (``role="alert"``) with what the citizen wrote kept.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError

from activities.ports import StoreError
from activities.post_issuance import cached_directory, cached_rules
from client.after_issuance import feedback_status
from client.documents import text_of
from client.errors import CaseError
from client.portal_feedback import (
    DocumentInForce,
    document_taking_feedback,
    documents_taking_feedback,
    feedback_stages,
)
from models.actors import Directory
from models.feedback import MAX_FEEDBACK_CHARS, FeedbackStatus
from models.public_feedback import KIND_LABELS, PortalFeedback, TrackedFeedback
from portal.feedback_forwarder import FeedbackForwarder
from portal.limits import TooMany, client_address
from portal.pages import FIELD_RULES, TEMPLATES, Portal, field_errors
from public_records.feedback import PublicFeedback
from settings import Settings

log = logging.getLogger(__name__)

#: What each field must hold, said in Vietnamese (pydantic's own messages are English).
FEEDBACK_FIELD_RULES = {
    "name": FIELD_RULES["name"],
    "contact": FIELD_RULES["contact"],
    "text": f"Hãy ghi nội dung (tối đa {MAX_FEEDBACK_CHARS:,} ký tự).".replace(",", "."),
    "kind": "Hãy chọn bạn gửi kiến nghị hay phản ánh.",
}
CONSENT_NEEDED = (
    "Hãy đọc và đồng ý với thông báo về xử lý dữ liệu cá nhân để gửi kiến nghị, phản ánh "
    "(Nghị định 13/2023/NĐ-CP)."
)
REFUSED_AS_SPAM = "Không nhận được kiến nghị, phản ánh này. Hãy tải lại trang và gửi lại."
#: Forwarded cases followed from the first (a feedback forwarded more often is unusual).
MAX_HOPS = 5


@dataclass
class FeedbackDesk:
    """What the feedback pages share: the portal's (limits, store, Temporal client), the
    feedback records and the forwarder that delivers them."""

    portal: Portal
    records: PublicFeedback
    directory: Directory
    forwarder: FeedbackForwarder | None = None

    @classmethod
    def of(cls, portal: Portal, settings: Settings) -> FeedbackDesk:
        return cls(
            portal=portal,
            records=PublicFeedback.at(settings.database),
            directory=cached_directory(settings.directory_file),
        )

    @asynccontextmanager
    async def forwarding(self, client: Client) -> AsyncIterator[FeedbackForwarder]:
        """The forwarder running in the background while the block runs."""
        self.forwarder = FeedbackForwarder(self.records, self.portal.store, client)
        async with self.forwarder.running() as running:
            yield running

    def agency_name(self, agency_id: str) -> str:
        try:
            return self.directory.agency(agency_id).name
        except KeyError:
            return agency_id


# ---- where a feedback stands ---------------------------------------------------------------


@dataclass(frozen=True)
class Forwarded:
    agency: str
    on: date


@dataclass(frozen=True)
class TimeLimit:
    label: str
    due: date
    explanation: str
    basis: str
    overdue: bool


@dataclass(frozen=True)
class Progress:
    """The tracking page's view of one feedback: its record and, once delivered, its cases."""

    record: TrackedFeedback
    #: pending (not delivered yet), refused, handling, answered.
    state: str
    #: Where it stands, in the procedure's own words.
    stage_label: str = ""
    received_by: str | None = None
    received_on: date | None = None
    forwarded: list[Forwarded] = field(default_factory=list)
    #: The agency handling it now (the last one it was forwarded to).
    handled_by: str | None = None
    answer: str | None = None
    answered_on: date | None = None
    late: bool = False
    overdue: bool = False
    time_limits: list[TimeLimit] = field(default_factory=list)
    #: The cases could not be read just now (Temporal or a worker unavailable).
    unavailable: bool = False


def _running_limits(st: FeedbackStatus) -> list[TimeLimit]:
    """The time limits running in the case's stage (a deadline view is named by its limit's
    labels, ``"Trả lời / Answer"``)."""
    procedure = cached_rules().feedback.procedure
    running = {
        f"{procedure.time_limits[n].label} / {procedure.time_limits[n].label_en}"
        for n in procedure.running(st.stage)
    }
    return [
        TimeLimit(
            label=d.name.split(" / ")[0],
            due=d.due_legal_date,
            explanation=d.explanation_vi,
            basis=d.basis,
            overdue=d.overdue,
        )
        for d in st.deadlines
        if d.name in running
    ]


async def progress(desk: FeedbackDesk, client: Client, record: TrackedFeedback) -> Progress:
    if record.feedback_id is None:
        return Progress(record, "refused" if record.refused else "pending")
    chain: list[FeedbackStatus] = []
    unavailable = False
    next_id: str | None = record.feedback_id
    try:
        while next_id is not None and len(chain) < MAX_HOPS:
            st = await feedback_status(client, next_id)
            chain.append(st)
            next_id = st.forwarded_to
    except (CaseError, RPCError, WorkflowQueryFailedError) as exc:
        log.warning("feedback %s: status unavailable: %s", record.tracking_code, exc)
        unavailable = True
    if not chain:
        return Progress(record, "handling", unavailable=True)
    first, last = chain[0], chain[-1]
    answer = None
    answered_on = None
    if last.answer is not None:
        answer = await asyncio.to_thread(_answer_text, desk, last.answer.name, last.answer.sha256)
        steps = [s for s in last.trail if s.actor == last.answered_by]
        answered_on = steps[-1].legal_date if steps else None
    return Progress(
        record,
        "answered" if last.answer is not None else "handling",
        # The procedure's Vietnamese label (the status carries "Đã trả lời / Answered").
        stage_label=last.stage_label.split(" / ")[0],
        received_by=first.agency_name,
        received_on=first.received_legal_date,
        forwarded=[Forwarded(st.agency_name, st.received_legal_date) for st in chain[1:]],
        handled_by=last.agency_name,
        answer=answer,
        answered_on=answered_on,
        late=last.late,
        overdue=last.overdue,
        time_limits=[] if last.final else _running_limits(last),
        unavailable=unavailable,
    )


def _answer_text(desk: FeedbackDesk, name: str, sha256: str) -> str:
    try:
        return text_of(name, desk.portal.store.get_blob(sha256))
    except (StoreError, CaseError):
        return "(Không đọc được nội dung trả lời; hãy thử lại sau.)"


# ---- the pages -----------------------------------------------------------------------------


def feedback_pages(desk: FeedbackDesk) -> APIRouter:
    router = APIRouter()
    portal = desk.portal

    def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
        context = {"agency_name": desk.agency_name, "kinds": KIND_LABELS, **context}
        return TEMPLATES.TemplateResponse(request, name, context, status_code=status)

    def stages() -> list[str]:
        return feedback_stages(cached_rules())

    @router.get("/phan-anh", response_class=HTMLResponse)
    async def documents(request: Request) -> Response:
        listed = await documents_taking_feedback(portal.cases(), stages())
        return page(request, "feedback_documents.html", {"documents": listed})

    async def show_form(
        request: Request,
        doc: DocumentInForce,
        *,
        error: str | None = None,
        form: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        procedure = cached_rules().feedback.procedure
        context = {
            "doc": doc,
            "error": error,
            "form": form or {},
            "max_chars": MAX_FEEDBACK_CHARS,
            # The time limits as the deployment's rules state them (post_issuance.yaml).
            "limits": list(procedure.time_limits.values()),
            "basis": procedure.basis,
        }
        return page(request, "feedback_form.html", context, status)

    def not_taking(request: Request, case_id: str) -> Response:
        return page(request, "feedback_missing.html", {"case_id": case_id}, 404)

    @router.get("/phan-anh/van-ban/{case_id}", response_class=HTMLResponse)
    async def document(request: Request, case_id: str) -> Response:
        doc = await document_taking_feedback(portal.cases(), case_id, stages())
        if doc is None:
            return not_taking(request, case_id)
        return await show_form(request, doc)

    @router.post("/phan-anh/van-ban/{case_id}/gui", response_class=HTMLResponse)
    async def send(
        request: Request,
        case_id: str,
        name: Annotated[str, Form()] = "",
        contact: Annotated[str, Form()] = "",
        text: Annotated[str, Form()] = "",
        kind: Annotated[str, Form()] = "",
        consent: Annotated[str, Form()] = "",
        website: Annotated[str, Form()] = "",  # the honeypot: people never see it
    ) -> Response:
        # Read from the server itself, not a worker: a document no longer in force is refused
        # here, while the form is still in front of the citizen.
        doc = await document_taking_feedback(portal.cases(), case_id, stages())
        if doc is None:
            return not_taking(request, case_id)
        form = {"name": name, "contact": contact, "text": text, "kind": kind, "consent": consent}

        async def refused(error: str, status: int = 422) -> Response:
            return await show_form(request, doc, error=error, form=form, status=status)

        if website:
            return await refused(REFUSED_AS_SPAM, 400)
        if not consent:
            return await refused(CONSENT_NEEDED)
        try:
            sub = PortalFeedback.model_validate(
                {"case_id": case_id, "name": name, "contact": contact, "text": text, "kind": kind}
            )
        except ValidationError as exc:
            return await refused(field_errors(exc, FEEDBACK_FIELD_RULES))
        try:
            portal.limits.take(client_address(request))
        except TooMany as exc:
            return await refused(str(exc), 429)
        # The receipt is given once the row is committed; delivery comes after, unwaited.
        receipt = await asyncio.to_thread(desk.records.submit, sub, doc.title)
        if desk.forwarder is not None:
            desk.forwarder.wake()
        return page(request, "feedback_receipt.html", {"receipt": receipt, "doc": doc, "sub": sub})

    @router.get("/phan-anh/tra-cuu", response_class=HTMLResponse)
    async def tracking(request: Request, ma: str = "") -> Response:
        if not ma.strip():
            return page(request, "feedback_tracking.html", {"code": "", "found": None})
        record = await asyncio.to_thread(desk.records.tracked, ma)
        if record is None:
            error = (
                f"Không tìm thấy kiến nghị, phản ánh nào có mã {ma.strip()[:40]}. Hãy kiểm tra "
                "lại mã."
            )
            context = {"code": ma, "found": None, "error": error}
            return page(request, "feedback_tracking.html", context, 404)
        found = await progress(desk, portal.cases(), record)
        return page(request, "feedback_tracking.html", {"code": ma, "found": found})

    return router
