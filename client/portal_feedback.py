"""Feedback from the public portal, client side (not workflow code): the documents in force
that take feedback (read from Temporal's server alone, never from a worker), and the delivery
of one feedback to a document's monitoring workflow, made safe to repeat.

A delivery is the monitoring's ``submit_feedback`` Update with what
``client.after_issuance.submit_feedback`` sends (a reference to the stored text, its length,
the channel; never a name or contact), sent under an Update id of the delivery's own and to
one run of the monitoring, chosen before the first send and kept: Temporal remembers the
Update ids a run has taken and answers a repeated one with its first outcome, even once the
run has continued as new. A delivery whose result was lost is therefore sent again to the
same run and gets the same receipt, never a second feedback case. A new run does not know
its predecessor's Update ids; a delivery moves to it only when its run has closed without
taking it (``RunClosed``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from activities.ports import DocumentStore
from client.after_issuance import monitoring_id
from client.documents import checked_text
from client.errors import CaseActionRefused, CaseError
from client.updates import CASE_CLOSED, send_update
from models.choices import Category
from models.feedback import MAX_FEEDBACK_CHARS, FeedbackReceipt, FeedbackSubmission
from models.post_issuance import PostIssuanceRules
from workflows import search_attributes as sa
from workflows.after_issuance.monitoring import DocumentMonitoring

#: The channel a portal feedback is received through (as ``legisflow feedback`` names it).
CHANNEL = "portal"
#: Update ids of portal deliveries start so (the rest is the row's random key).
UPDATE_ID_PREFIX = "portal-feedback-"
MONITORING = "DocumentMonitoring"


class RunClosed(CaseError):
    """The run a delivery is pinned to has closed without taking it: it may go to the
    monitoring's next run, if there is one."""


@dataclass(frozen=True)
class DocumentInForce:
    """A document whose monitoring takes feedback now, as the portal lists it."""

    case_id: str
    title: str
    #: The kind of document (Quyết định của UBND cấp tỉnh, …).
    type_name: str
    #: The drafting agency's id (the portal names it from the directory).
    agency: str


def feedback_stages(rules: PostIssuanceRules) -> list[str]:
    """The ``LegalStage`` values of a monitoring that takes feedback (from the procedure, which
    says in which statuses ``submit_feedback`` may be taken)."""
    procedure = rules.monitoring.procedure
    return sorted(
        {
            procedure.search_stage(stage)
            for t in procedure.transitions
            if t.action == "submit_feedback"
            for stage in t.source
        }
    )


async def _in_force(wf: WorkflowExecution, stages: Sequence[str]) -> DocumentInForce | None:
    if wf.status != WorkflowExecutionStatus.RUNNING:
        return None
    attrs = wf.typed_search_attributes
    if attrs.get(sa.LEGAL_STAGE) not in stages:
        return None
    case_id = wf.id.removesuffix("/monitoring")
    return DocumentInForce(
        case_id=case_id,
        title=str(await wf.memo_value("title", case_id)),
        type_name=str(await wf.memo_value("type", attrs.get(sa.DOCUMENT_TYPE) or "")),
        agency=attrs.get(sa.DRAFTING_AGENCY) or "",
    )


async def documents_taking_feedback(
    client: Client, stages: Sequence[str], limit: int = 500
) -> list[DocumentInForce]:
    """Documents whose monitoring runs in one of ``stages``, by title (Temporal visibility:
    eventually consistent, a document that has just come into force may be missing a
    moment)."""
    if any("'" in s for s in stages):
        raise CaseError(f"invalid stage in {stages!r}")
    listed = ", ".join(f"'{s}'" for s in stages)
    query = (
        f"WorkflowType = '{MONITORING}' AND ExecutionStatus = 'Running' AND "
        f"{sa.LEGAL_STAGE.name} IN ({listed})"
    )
    found = []
    async for wf in client.list_workflows(query, limit=limit):
        doc = await _in_force(wf, stages)
        if doc is not None:
            found.append(doc)
    # The dev server's visibility refuses ORDER BY: sorted here.
    return sorted(found, key=lambda d: (d.title, d.case_id))


async def document_taking_feedback(
    client: Client, case_id: str, stages: Sequence[str]
) -> DocumentInForce | None:
    """The document if its monitoring takes feedback now (a describe, answered by the server
    itself: up to date, and without a worker), else None."""
    try:
        desc = await client.get_workflow_handle(monitoring_id(case_id)).describe()
    except RPCError as err:
        if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            return None
        raise
    if desc.workflow_type != MONITORING:
        return None
    return await _in_force(desc, stages)


async def monitoring_run(client: Client, case_id: str) -> str | None:
    """The current run of the document's monitoring if it is running, else None."""
    try:
        desc = await client.get_workflow_handle(monitoring_id(case_id)).describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    return desc.run_id if desc.status == WorkflowExecutionStatus.RUNNING else None


def stored_body(kind: Category, text: str, received_at: datetime) -> bytes:
    """What the document store keeps of a portal feedback: its text, its kind and when the
    portal received it; not who sent it (the name and contact stay in the public's records).
    The same delivery stores the same bytes, so a repeated one adds nothing to the store."""
    body = {
        "channel": CHANNEL,
        "kind": kind.value,
        "text": text,
        "received_at": received_at.isoformat(),
    }
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


async def deliver_feedback(
    client: Client,
    store: DocumentStore,
    case_id: str,
    *,
    run_id: str,
    key: str,
    kind: Category,
    text: str,
    received_at: datetime,
) -> FeedbackReceipt:
    """Hand one portal feedback to the document's monitoring run ``run_id`` under the Update
    id made from ``key``; the receipt of the feedback case it started, or of the one a
    previous delivery under the same key started. ``RunClosed`` if that run has ended without
    taking it; ``CaseActionRefused`` with the monitoring's refusal (``not_in_force``…)."""
    chars = checked_text(text, "feedback", MAX_FEEDBACK_CHARS)
    body = stored_body(kind, text, received_at)
    ref = await asyncio.to_thread(store.put_blob, body, "phan-anh.json", "application/json")
    handle = client.get_workflow_handle(monitoring_id(case_id), run_id=run_id)

    async def closed() -> str:
        return f"the monitoring run {run_id} of {case_id} has closed without this delivery"

    try:
        receipt: FeedbackReceipt = await send_update(
            handle,
            DocumentMonitoring.submit_feedback,
            FeedbackSubmission(body=ref, chars=chars, channel=CHANNEL),
            update_id=f"{UPDATE_ID_PREFIX}{key}",
            # The same id to the same run: the server answers a repeat from its record.
            idempotent=True,
            closed=closed,
            missing=f"no monitoring run {run_id} of {case_id!r}",
        )
    except CaseActionRefused as refused:
        if refused.code == CASE_CLOSED:
            raise RunClosed(str(refused)) from None
        raise
    return receipt
