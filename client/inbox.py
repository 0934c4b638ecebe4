"""A person's inbox (hộp việc): the drafting cases in which they can act now or whose
request for their written opinion awaits it, overdue first, then by due date. The web
workspace's home page (``web/workspace.py``).

This first version lists the running drafting cases from Temporal visibility and asks each
for its status (one query per case, at most ``PARALLEL`` at a time). Issue #18 asks for a
visibility attribute of who must act next, measured against this; until then an agency's
inbox costs one query per open case.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from pydantic import BaseModel
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError

from client.cases import status
from models.case import AllowedAction, CaseStatus, ConsultView, DeadlineView

PARALLEL = 16
RUNNING_CASES = "WorkflowType = 'LegislativeProcess' AND ExecutionStatus = 'Running'"
#: A case that does not answer its status query in this long is left out of this listing
#: (its worker is down); the page must not hang on it.
QUERY_SECONDS = 30.0
#: Stands in for a missing due date when sorting (those sort last anyway).
NO_DUE = datetime.min.replace(tzinfo=UTC)


class InboxItem(BaseModel):
    """One case that waits for the person: what it is, what is asked, and by when."""

    case_id: str
    title: str
    doc_type: str
    stage_label: str
    actions: list[AllowedAction]
    #: Requests for the person's written opinion (lấy ý kiến) still awaiting it.
    requests: list[ConsultView] = []
    deadline: DeadlineView | None
    overdue: bool

    @property
    def due(self) -> datetime | None:
        return self.deadline.due if self.deadline else None


def _item(st: CaseStatus, person: str) -> InboxItem | None:
    mine = [a for a in st.allowed if person in a.actors]
    asked = [c for c in st.consultations if person in c.holders and c.replied_by is None]
    if not mine and not asked:
        return None
    current = [d for d in st.deadlines if d.stage == st.stage]
    return InboxItem(
        case_id=st.id,
        title=st.title,
        doc_type=st.type,
        stage_label=st.stage_label,
        actions=mine,
        requests=asked,
        deadline=current[0] if current else None,
        overdue=st.overdue or any(c.overdue for c in asked),
    )


async def inbox(client: Client, person: str, task_queue: str, limit: int = 500) -> list[InboxItem]:
    """The cases on ``task_queue`` (the deployment's) where ``person`` can act now, overdue
    first, then the nearest due date."""
    ids = []
    query = f"{RUNNING_CASES} AND TaskQueue = '{task_queue}'"
    async for wf in client.list_workflows(query, limit=limit):
        ids.append(wf.id)
    gate = asyncio.Semaphore(PARALLEL)

    async def one(case_id: str) -> InboxItem | None:
        async with gate:
            try:
                st = await asyncio.wait_for(status(client, case_id), QUERY_SECONDS)
            except (RPCError, WorkflowQueryFailedError, TimeoutError):
                return None  # ended, gone or not served since it was listed
            return _item(st, person)

    found = [i for i in await asyncio.gather(*(one(c) for c in ids)) if i is not None]
    # Overdue first; then the nearest due date; cases with no running deadline last.
    return sorted(found, key=lambda i: (not i.overdue, i.due is None, i.due or NO_DUE, i.title))
