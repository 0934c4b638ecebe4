"""The client API after issuance (client side; not workflow code): citizens' feedback, the
legality check of a document, its monitoring. The CLI and the tests use it.

Refusals come back as ``CaseActionRefused`` with the validator's code and message; an
action on a case that has already closed is refused the same way (``case_closed``), with
what closed it, and changes nothing.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.ports import DocumentStore
from client.cases import current_definition, status
from client.documents import checked_text
from client.errors import CaseActionRefused, CaseError
from client.updates import send_update
from models.actors import Directory
from models.authorship import KeyRotation, TrustedKey
from models.documents import DocumentRef
from models.feedback import (
    MAX_FEEDBACK_CHARS,
    AmendmentProposal,
    AnswerRequest,
    ClassifyRequest,
    FeedbackReceipt,
    FeedbackStatus,
    FeedbackSubmission,
    ForwardRequest,
)
from models.legality_check import CheckInput, CheckStatus, Conclusion, HandlingRequest
from models.links import CaseLink
from models.monitoring import EventRequest, MonitoringEvent, MonitoringStatus, ReportNow
from models.post_issuance import load_rules, resolve_people
from workflows import search_attributes as sa
from workflows.after_issuance.feedback_case import FeedbackCase
from workflows.after_issuance.legality_check import LegalityCheck
from workflows.after_issuance.monitoring import DocumentMonitoring

T = TypeVar("T")
#: How long to retry a query while a monitoring that just started reads its rules and people.
STARTING_WAIT = 30.0


def monitoring_id(case_id: str) -> str:
    return f"{case_id}/monitoring"


def check_id(case_id: str, n: int) -> str:
    return f"{case_id}/check/{n}"


async def _query(handle: WorkflowHandle[Any, Any], query: Any, what: str) -> Any:
    loop = asyncio.get_running_loop()
    give_up = loop.time() + STARTING_WAIT
    while True:
        try:
            return await handle.query(query)
        except WorkflowQueryFailedError as err:
            if "starting" in str(err) and loop.time() < give_up:
                await asyncio.sleep(0.2)
                continue
            raise CaseError(f"{what}: {err}") from None
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                raise CaseError(f"{what}: not found") from None
            raise


# ---- monitoring -------------------------------------------------------------------------------


async def monitoring_status(client: Client, case_id: str) -> MonitoringStatus:
    handle = client.get_workflow_handle(monitoring_id(case_id))
    try:
        st: MonitoringStatus = await _query(handle, DocumentMonitoring.status, case_id)
    except CaseError:
        raise await _not_in_force(client, case_id) from None
    return st


async def _not_in_force(client: Client, case_id: str) -> CaseError:
    """Why ``case_id`` has no monitoring: no such document, or not in force yet."""
    try:
        st = await status(client, case_id)
    except (RPCError, WorkflowQueryFailedError):
        return CaseError(f"no document {case_id!r}; see `legisflow list`")
    return CaseActionRefused(
        f"văn bản chưa có hiệu lực / {case_id} is not in force: its case is in stage "
        f"{st.stage} ({st.stage_label_en}); feedback and checks concern documents in force",
        "not_in_force",
    )


async def _monitoring_closed(client: Client, case_id: str) -> str:
    st = await monitoring_status(client, case_id)
    return (
        f"văn bản không còn hiệu lực / {case_id} is {st.status} ({st.status_note or ''}); "
        "its monitoring has ended and nothing was recorded"
    )


async def _monitoring_update(client: Client, case_id: str, update: Any, arg: Any) -> Any:
    try:
        return await send_update(
            client.get_workflow_handle(monitoring_id(case_id)),
            update,
            arg,
            closed=lambda: _monitoring_closed(client, case_id),
            missing=lambda: _not_in_force(client, case_id),
        )
    except CaseActionRefused as refused:
        if refused.code == "case_closed":
            raise CaseActionRefused(str(refused), "not_in_force") from None
        raise


async def submit_feedback(
    client: Client,
    store: DocumentStore,
    case_id: str,
    *,
    author: str,
    text: str,
    channel: str = "portal",
) -> FeedbackReceipt:
    """A citizen's feedback on a document in force: its text and author go to the document
    store (never to Temporal), its case starts under the document's monitoring."""
    chars = checked_text(text, "feedback", MAX_FEEDBACK_CHARS)
    body = json.dumps(
        {
            "author": author,
            "channel": channel,
            "text": text,
            "received_at": datetime.now(UTC).isoformat(),
        },
        ensure_ascii=False,
    )
    ref = store.put_blob(body.encode("utf-8"), "phan-anh.json", "application/json")
    receipt: FeedbackReceipt = await _monitoring_update(
        client,
        case_id,
        DocumentMonitoring.submit_feedback,
        FeedbackSubmission(body=ref, chars=chars, channel=channel),
    )
    return receipt


async def rotate_monitoring_keys(
    client: Client, case_id: str, keys: list[TrustedKey], *, operator: str, reason: str
) -> list[str]:
    """Make the monitoring of ``case_id``'s document trust ``keys`` from now on (proven with
    a key it trusts today). Returns the ids it now trusts."""
    request = KeyRotation(operator=operator, keys=keys, reason=reason)
    ids: list[str] = await _monitoring_update(
        client, case_id, DocumentMonitoring.rotate_keys, request
    )
    return ids


async def record_event(client: Client, case_id: str, req: EventRequest) -> MonitoringEvent:
    event: MonitoringEvent = await _monitoring_update(
        client, case_id, DocumentMonitoring.record_event, req
    )
    return event


async def generate_report(client: Client, case_id: str, actor: str) -> list[DocumentRef]:
    refs: list[DocumentRef] = await _monitoring_update(
        client, case_id, DocumentMonitoring.generate_report, ReportNow(actor=actor)
    )
    return refs


# ---- feedback cases ---------------------------------------------------------------------------


def document_of(feedback_or_check_id: str) -> str:
    """The document case id a feedback case or check id belongs to."""
    for marker in ("/monitoring/feedback/", "/check/"):
        if marker in feedback_or_check_id:
            return feedback_or_check_id.split(marker, 1)[0]
    raise CaseError(
        f"{feedback_or_check_id!r} is not a feedback case or check id "
        "(e.g. so-xd-daklak:quy-dinh-x/monitoring/feedback/3)"
    )


async def feedback_status(client: Client, feedback_id: str) -> FeedbackStatus:
    handle = client.get_workflow_handle(feedback_id)
    st: FeedbackStatus = await _query(handle, FeedbackCase.status, feedback_id)
    return st


async def _feedback_closed(client: Client, feedback_id: str) -> str:
    st = await feedback_status(client, feedback_id)
    how = (
        f"answered by {st.answered_by}"
        if st.answered_by
        else f"forwarded to {st.forwarded_to}"
        if st.forwarded_to
        else st.stage_label
    )
    return f"phản ánh đã được xử lý / feedback {feedback_id} is closed: {how}; nothing was changed"


async def _feedback_update(client: Client, feedback_id: str, update: Any, arg: Any) -> Any:
    return await send_update(
        client.get_workflow_handle(feedback_id),
        update,
        arg,
        closed=lambda: _feedback_closed(client, feedback_id),
        missing=f"no feedback case {feedback_id!r}",
    )


async def classify_feedback(
    client: Client, feedback_id: str, req: ClassifyRequest
) -> FeedbackStatus:
    st: FeedbackStatus = await _feedback_update(client, feedback_id, FeedbackCase.classify, req)
    return st


async def forward_feedback(client: Client, feedback_id: str, req: ForwardRequest) -> FeedbackStatus:
    st: FeedbackStatus = await _feedback_update(client, feedback_id, FeedbackCase.forward, req)
    return st


async def answer_feedback(
    client: Client,
    store: DocumentStore,
    feedback_id: str,
    *,
    actor: str,
    text: str | None = None,
    document: DocumentRef | None = None,
    summary: str | None = None,
    declare_no_interest: bool = False,
) -> FeedbackStatus:
    """Answer a feedback case with a text or an uploaded document (both in the store);
    ``declare_no_interest``: the answerer's declaration, on their first decision in it."""
    if document is None:
        if not (text or "").strip():
            raise CaseError("the answer is empty: give its text or a file")
        assert text is not None
        document = store.put_blob(text.encode("utf-8"), "tra-loi.md", "text/markdown")
    st: FeedbackStatus = await _feedback_update(
        client,
        feedback_id,
        FeedbackCase.answer,
        AnswerRequest(
            actor=actor,
            answer=document,
            summary=summary,
            declare_no_interest=declare_no_interest,
        ),
    )
    return st


async def propose_amendment(client: Client, feedback_id: str, req: AmendmentProposal) -> CaseLink:
    link: CaseLink = await _feedback_update(
        client, feedback_id, FeedbackCase.propose_amendment, req
    )
    return link


# ---- legality checks --------------------------------------------------------------------------


async def open_check(
    client: Client,
    directory: Directory,
    case_id: str,
    *,
    checker: str,
    task_queue: str,
    note: str | None = None,
) -> str:
    """Open a legality check of a document in force; returns the check's id."""
    mon = await monitoring_status(client, case_id)
    if mon.final:
        raise CaseActionRefused(
            f"{case_id} is {mon.status_label} ({mon.status_note}); there is nothing left to check",
            "not_in_force",
        )
    doc = mon.document
    definition = await current_definition(client, case_id)
    rules = load_rules()
    assignments = directory.assign_roles(definition, doc.drafting_agency)
    people = resolve_people(
        directory,
        rules,
        level=doc.level,
        drafting_agency=doc.drafting_agency,
        case_assignments=assignments,
    )
    operators = [a.id for a in assignments.get(definition.operator_role, [])]
    checkers = [a.id for a in people.checkers]
    if checker not in checkers:
        raise CaseActionRefused(
            f"'{checker}' không có thẩm quyền kiểm tra văn bản này / {checker!r} may not check "
            f"{case_id}; checkers for a {doc.level.value} document: "
            f"{', '.join(checkers) or 'none in the directory'}",
            "wrong_role",
        )
    inp = CheckInput(
        check_id="",
        document=doc,
        monitoring_id=mon.id,
        opened_by=checker,
        checkers=list(people.checkers),
        issuers=list(people.issuers),
        higher_authority=list(people.higher_authority),
        monitoring_officers=list(people.monitoring_officers),
        rules=rules.check,
        time=mon.time.since(legal_today(mon)),
        note=note,
        operators=operators,
    )
    for n in range(1, 1000):
        cid = check_id(case_id, n)
        try:
            await client.start_workflow(
                LegalityCheck.run,
                inp.model_copy(update={"check_id": cid}),
                id=cid,
                task_queue=task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                search_attributes=sa.typed(
                    {
                        "LegalStage": rules.check.procedure.initial,
                        "DocumentType": doc.doc_type,
                        "DraftingAgency": doc.drafting_agency,
                        "LegalRegime": doc.regime,
                        "Overdue": False,
                    }
                ),
                memo={"title": doc.title, "document": case_id},
                static_summary=f"Kiểm tra văn bản / Legality check {n}: {doc.title}"[:400],
            )
        except WorkflowAlreadyStartedError:
            continue
        return cid
    raise CaseError(f"{case_id} has too many checks")


async def check_status(client: Client, cid: str) -> CheckStatus:
    st: CheckStatus = await _query(client.get_workflow_handle(cid), LegalityCheck.status, cid)
    return st


async def _check_update(client: Client, cid: str, update: Any, arg: Any) -> CheckStatus:
    async def closed() -> str:
        st = await check_status(client, cid)
        how = (
            f"handled ({st.handling.action.value}) by {st.handling.actor}"
            if st.handling
            else st.stage_label
        )
        return f"kiểm tra đã kết thúc / check {cid} is closed: {how}; nothing was changed"

    st: CheckStatus = await send_update(
        client.get_workflow_handle(cid), update, arg, closed=closed, missing=f"no check {cid!r}"
    )
    return st


async def conclude_check(client: Client, cid: str, conclusion: Conclusion) -> CheckStatus:
    return await _check_update(client, cid, LegalityCheck.conclude, conclusion)


async def handle_check(client: Client, cid: str, req: HandlingRequest) -> CheckStatus:
    return await _check_update(client, cid, LegalityCheck.handle, req)


def legal_today(st: MonitoringStatus, now: datetime | None = None) -> date:
    """Today on the document's legal clock (a query sees the time of the last event)."""
    return st.time.clock().legal_date(now or datetime.now(UTC))
