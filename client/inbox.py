"""A person's inbox (hộp việc): what waits for them now, overdue first, then by due date —
the drafting cases in which they can act or whose request for their written opinion awaits
it, and the citizens' feedback cases they answer. The web workspace's home page.

It lists the running cases of the deployment's task queue from Temporal visibility and asks
each for its status (one query per case, at most ``PARALLEL`` at a time). Issue #18 asks for
a visibility attribute of who must act next, measured against this; until then an inbox
costs one query per open case.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from typing import TypeVar

from pydantic import BaseModel
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError

from client.after_issuance import feedback_status
from client.cases import status
from models.case import AllowedAction, CaseStatus, ConsultView
from models.feedback import FeedbackStatus

PARALLEL = 16
#: A case that does not answer its status query in this long is left out of this listing
#: (its worker is down); the page must not hang on it.
QUERY_SECONDS = 30.0
T = TypeVar("T")


class InboxItem(BaseModel):
    """One case that waits for the person: what it is, what is asked, and by when."""

    case_id: str
    #: Where the workspace shows it.
    href: str
    title: str
    doc_type: str
    stage_label: str
    #: What is asked of the person, in words.
    tasks: list[str]
    actions: list[AllowedAction] = []
    #: Requests for the person's written opinion (lấy ý kiến) still awaiting it.
    requests: list[ConsultView] = []
    due: date | None = None
    due_explanation: str = ""
    overdue: bool


def _case_item(st: CaseStatus, person: str) -> InboxItem | None:
    mine = [a for a in st.allowed if person in a.actors]
    asked = [c for c in st.consultations if person in c.holders and c.replied_by is None]
    if not mine and not asked:
        return None
    current = [d for d in st.deadlines if d.stage == st.stage]
    due, why = (current[0].due_legal_date, current[0].explanation_vi) if current else (None, "")
    if not mine and asked:
        due, why = asked[0].due_legal_date, f"Hạn trả lời ý kiến — {asked[0].basis}"
    return InboxItem(
        case_id=st.id,
        href=f"/ho-so/{st.id}",
        title=st.title,
        doc_type=st.type,
        stage_label=st.stage_label,
        tasks=[a.label for a in mine] + [f"Gửi ý kiến: {c.label}" for c in asked],
        actions=mine,
        requests=asked,
        due=due,
        due_explanation=why,
        overdue=st.overdue or any(c.overdue for c in asked),
    )


def _feedback_item(st: FeedbackStatus, person: str) -> InboxItem | None:
    if st.final or person not in st.answerers:
        return None
    running = sorted(st.deadlines, key=lambda d: d.due)
    return InboxItem(
        case_id=st.id,
        href=f"/phan-anh/{st.id}",
        title=f"Phản ánh số {st.number} về: {st.document_title}",
        doc_type="Kiến nghị, phản ánh",
        stage_label=st.stage_label,
        tasks=["Xử lý, trả lời kiến nghị, phản ánh"],
        due=running[0].due_legal_date if running else None,
        due_explanation=running[0].explanation_vi if running else "",
        overdue=st.overdue,
    )


async def _gather(
    client: Client,
    workflow_type: str,
    task_queue: str,
    limit: int,
    ask: Callable[[str], Awaitable[T]],
    gate: asyncio.Semaphore,
) -> list[T]:
    query = (
        f"WorkflowType = '{workflow_type}' AND ExecutionStatus = 'Running' "
        f"AND TaskQueue = '{task_queue}'"
    )
    ids = [wf.id async for wf in client.list_workflows(query, limit=limit)]

    async def one(case_id: str) -> T | None:
        async with gate:
            try:
                return await asyncio.wait_for(ask(case_id), QUERY_SECONDS)
            except (RPCError, WorkflowQueryFailedError, TimeoutError):
                return None  # ended, gone or not served since it was listed

    return [s for s in await asyncio.gather(*(one(c) for c in ids)) if s is not None]


async def _running(
    client: Client, task_queue: str, limit: int
) -> tuple[list[CaseStatus], list[FeedbackStatus]]:
    gate = asyncio.Semaphore(PARALLEL)
    return await asyncio.gather(
        _gather(client, "LegislativeProcess", task_queue, limit, lambda c: status(client, c), gate),
        _gather(
            client, "FeedbackCase", task_queue, limit, lambda c: feedback_status(client, c), gate
        ),
    )


async def running_cases(client: Client, task_queue: str, limit: int = 5000) -> list[CaseStatus]:
    """The status of every running drafting case on ``task_queue``."""
    return (await _running(client, task_queue, limit))[0]


def _urgent_first(items: list[InboxItem]) -> list[InboxItem]:
    return sorted(items, key=lambda i: (not i.overdue, i.due is None, i.due or date.min, i.title))


async def inbox(client: Client, person: str, task_queue: str, limit: int = 500) -> list[InboxItem]:
    """What waits for ``person`` on ``task_queue`` (the deployment's), overdue first, then
    the nearest due date, then what has none."""
    return (await overview(client, person, None, task_queue, limit)).mine


class Overview(BaseModel):
    """The inbox's two tabs: what the person can do now, and what their agency has in
    progress that waits on someone else (with whom)."""

    mine: list[InboxItem]
    waiting: list[InboxItem]


def _waiting_item(st: CaseStatus, names: Callable[[str], str]) -> InboxItem:
    who = [
        f"{a.label}: {', '.join(names(p) for p in a.actors)}" for a in st.allowed if a.actors
    ] + [
        f"Ý kiến {c.label}: {', '.join(names(p) for p in c.holders)}"
        for c in st.consultations
        if c.replied_by is None and not c.overdue
    ]
    current = [d for d in st.deadlines if d.stage == st.stage]
    return InboxItem(
        case_id=st.id,
        href=f"/ho-so/{st.id}",
        title=st.title,
        doc_type=st.type,
        stage_label=st.stage_label,
        tasks=who or ["Chờ đến hạn hoặc hệ thống tự chuyển bước"],
        due=current[0].due_legal_date if current else None,
        due_explanation=current[0].explanation_vi if current else "",
        overdue=st.overdue,
    )


async def overview(
    client: Client,
    person: str,
    agency: str | None,
    task_queue: str,
    limit: int = 500,
    names: Callable[[str], str] = str,
) -> Overview:
    """Both tabs from one pass over the running cases: ``mine`` as ``inbox``; ``waiting``,
    the drafting cases of ``agency`` (the person's) or naming the person, where they cannot
    act now."""
    cases, feedback = await _running(client, task_queue, limit)
    mine = [i for st in cases if (i := _case_item(st, person)) is not None]
    mine += [i for fb in feedback if (i := _feedback_item(fb, person)) is not None]
    taken = {i.case_id for i in mine}
    waiting = [
        _waiting_item(st, names)
        for st in cases
        if st.id not in taken
        and (
            st.drafting_agency == agency or any(person in holders for holders in st.roles.values())
        )
    ]
    return Overview(mine=_urgent_first(mine), waiting=_urgent_first(waiting))
