"""Sending a new official calendar to the running cases it affects (áp dụng lịch nghỉ mới):
a preview of what each would move (a Query, nothing changes), or the change itself (an
Update per case, recorded in its trail). What ``legisflow calendar apply`` calls."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from typing import Any

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from client.errors import CaseActionRefused, CaseError
from client.listing import list_query
from client.updates import CASE_CLOSED, send_update
from models.calendar_change import CalendarApplied, CalendarChange
from workflows.after_issuance.monitoring import DocumentMonitoring
from workflows.after_issuance.step_case import StepCase
from workflows.drafting.consultation_request import ConsultationRequest
from workflows.drafting.legislative_process import LegislativeProcess

#: The kinds of case that take a calendar change (``client.listing.KINDS``), and the
#: consultation requests of drafting cases: each counts its open deadlines again.
APPLIES_TO = ("drafting", "monitoring", "feedback", "check")
CONSULTATION_REQUEST = "ConsultationRequest"
#: Each kind's Query and Update, by workflow type.
_HANDLERS: dict[str, tuple[Any, Any]] = {
    "LegislativeProcess": (
        LegislativeProcess.calendar_preview,
        LegislativeProcess.apply_calendar,
    ),
    "DocumentMonitoring": (
        DocumentMonitoring.calendar_preview,
        DocumentMonitoring.apply_calendar,
    ),
    CONSULTATION_REQUEST: (
        ConsultationRequest.calendar_preview,
        ConsultationRequest.apply_calendar,
    ),
    "FeedbackCase": (StepCase.calendar_preview, StepCase.apply_calendar),
    "LegalityCheck": (StepCase.calendar_preview, StepCase.apply_calendar),
}
#: Cases previewed or changed at once.
CONCURRENCY = 8


async def _workflow_type(client: Client, case_id: str) -> str:
    """The type of the case ``case_id`` (from the server itself: visibility may lag)."""
    request = DescribeWorkflowExecutionRequest(
        namespace=client.namespace, execution=WorkflowExecution(workflow_id=case_id)
    )
    try:
        # The raw response: only the type is needed, not the decoded search attributes.
        desc = await client.workflow_service.describe_workflow_execution(request)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise CaseError(f"no case {case_id!r}") from None
        raise
    workflow_type = desc.workflow_execution_info.type.name
    if workflow_type not in _HANDLERS:
        kinds = ", ".join(APPLIES_TO)
        raise CaseError(f"{case_id!r} is a {workflow_type}; a calendar applies to: {kinds}")
    return workflow_type


def change_id(change: CalendarChange) -> str:
    """The same change sent twice is one change (the Update's id)."""
    digest = hashlib.sha256(change.model_dump_json().encode("utf-8")).hexdigest()[:20]
    return f"calendar-{digest}"


async def running_cases(client: Client, kinds: Sequence[str] = APPLIES_TO) -> list[tuple[str, str]]:
    """The running cases of ``kinds`` and consultation requests (Temporal visibility): id and
    workflow type."""
    cases = list_query(kinds=kinds, open_only=True)
    requests = f"WorkflowType = '{CONSULTATION_REQUEST}' AND ExecutionStatus = 'Running'"
    return [
        (wf.id, wf.workflow_type)
        for query in (cases, requests)
        async for wf in client.list_workflows(query)
    ]


async def apply_calendar(
    client: Client,
    change: CalendarChange,
    *,
    dry_run: bool,
    case_ids: Sequence[str] | None = None,
) -> list[CalendarApplied]:
    """What ``change`` moves in each running case (``case_ids``, default: all it applies
    to): previewed by a Query when ``dry_run``, else made by an Update, at most
    ``CONCURRENCY`` cases at a time. A case that ended meanwhile is left out."""
    if case_ids is None:
        cases = await running_cases(client)
    else:
        cases = [(i, await _workflow_type(client, i)) for i in case_ids]
    gate = asyncio.Semaphore(CONCURRENCY)
    update_id = change_id(change)

    async def one(case_id: str, workflow_type: str) -> CalendarApplied | None:
        handle = client.get_workflow_handle(case_id)
        preview, apply = _HANDLERS[workflow_type]
        async with gate:
            if dry_run:
                previewed: CalendarApplied = await handle.query(preview, change)
                return previewed
            try:
                result: CalendarApplied = await send_update(
                    handle, apply, change, update_id=update_id, idempotent=True
                )
            except CaseActionRefused as refused:
                if refused.code == CASE_CLOSED:
                    return None
                raise
            return result

    results = await asyncio.gather(*(one(i, t) for i, t in cases))
    return [r for r in results if r is not None]
