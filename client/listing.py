"""Listing cases through Temporal visibility (eventually consistent: right after a change a
list may not show it yet; show the Update's own result there): drafting cases and, after
issuance, monitoring, feedback cases and legality checks, filtered by legisflow's search
attributes (no personal data is among them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from temporalio.client import Client, WorkflowExecutionStatus

from client.errors import CaseError
from models.legal_time import VIETNAM_TZ
from workflows import search_attributes as sa

#: The workflow types ``list`` shows, by the kind a user asks for.
KINDS = {
    "drafting": "LegislativeProcess",
    "monitoring": "DocumentMonitoring",
    "feedback": "FeedbackCase",
    "check": "LegalityCheck",
}


@dataclass(frozen=True)
class CaseRow:
    id: str
    type: str
    agency: str
    stage: str
    overdue: bool
    due: datetime | None
    status: str
    workflow_type: str = "LegislativeProcess"

    @property
    def due_date(self) -> date | None:
        """The day the current stage is due, in Vietnam's time zone (``StageDueAt`` is an
        instant; its UTC date can be the day before)."""
        return self.due.astimezone(VIETNAM_TZ).date() if self.due else None


def list_query(
    *,
    stage: str | None = None,
    doc_type: str | None = None,
    agency: str | None = None,
    overdue: bool | None = None,
    regime: str | None = None,
    open_only: bool = False,
    kinds: Sequence[str] | None = None,
) -> str:
    """A visibility query over legisflow's search attributes: drafting cases and, unless
    ``kinds`` narrows it, the monitoring, feedback cases and checks after issuance."""
    unknown = [k for k in kinds or () if k not in KINDS]
    if unknown:
        raise CaseError(f"unknown kind {', '.join(unknown)}; kinds: {', '.join(KINDS)}")
    types = ", ".join(f"'{KINDS[k]}'" for k in (kinds or KINDS))
    parts = [f"WorkflowType IN ({types})"]
    for key, value in (
        (sa.LEGAL_STAGE, stage),
        (sa.DOCUMENT_TYPE, doc_type),
        (sa.DRAFTING_AGENCY, agency),
        (sa.LEGAL_REGIME, regime),
    ):
        if value is not None:
            if "'" in value:
                raise CaseError(f"invalid filter value {value!r}")
            parts.append(f"{key.name} = '{value}'")
    if overdue is not None:
        parts.append(f"{sa.OVERDUE.name} = {'true' if overdue else 'false'}")
    if open_only:
        parts.append("ExecutionStatus = 'Running'")
    return " AND ".join(parts)


async def list_cases(client: Client, query: str, limit: int = 200) -> Sequence[CaseRow]:
    rows: list[CaseRow] = []
    async for wf in client.list_workflows(query, limit=limit):
        attrs = wf.typed_search_attributes
        rows.append(
            CaseRow(
                id=wf.id,
                type=attrs.get(sa.DOCUMENT_TYPE) or "",
                agency=attrs.get(sa.DRAFTING_AGENCY) or "",
                stage=attrs.get(sa.LEGAL_STAGE) or "",
                overdue=bool(attrs.get(sa.OVERDUE)),
                due=attrs.get(sa.STAGE_DUE_AT),
                status=(wf.status or WorkflowExecutionStatus.RUNNING).name.lower(),
                workflow_type=wf.workflow_type or "",
            )
        )
    return rows
