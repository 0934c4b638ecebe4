"""Helpers for the tests after issuance: put a document in force, wait for its monitoring,
read what the workers wrote (outbox, publications, stored texts). Every wait is on a
condition, with a bound."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from activities.outbox import OutboxNotifier
from activities.ports import DocumentStore
from activities.publisher import FilesystemPublisher
from client.after_issuance import monitoring_status
from client.cases import start_case
from localdev.walkthrough import walk
from models.actors import Directory
from models.case import SimplifiedDecision
from models.definition import ProcessDefinition
from models.deliveries import Notification, Publication
from models.feedback import FeedbackInput
from models.monitoring import MonitoringStatus
from models.starting import StartRequest
from workflows.after_issuance.feedback_case import FeedbackCase

T = TypeVar("T")

#: A provincial decision's signer decides the simplified procedure (Luật 64/2025 Điều 50):
#: no consultation period and entry into force on signing, so a case reaches ``in_force``
#: at once, whatever the length of its legal day.
SIGNER = "bui.van.khoa"
DRAFTER = "nguyen.van.an"
HANDLER = "luc.thi.ngoc"  # answers feedback for Sở Xây dựng
HEAD = "tran.van.cuong"  # head of Sở Xây dựng
OTHER_HANDLER = "tong.van.hau"  # answers feedback for Sở Nông nghiệp và Môi trường
OFFICER = "au.van.manh"  # monitoring officer, Sở Tư pháp
OPERATOR = "ops.oncall"  # operations on-call: applies calendar changes
CHECKER = "ta.quang.kien"  # Cục Kiểm tra VBQPPL
HIGHER = "quan.van.nghi"  # higher authority of a provincial decision
ISSUER = SIGNER


async def until(what: str, probe: Callable[[], Awaitable[T | None]], timeout: float = 30) -> T:
    """``probe()`` until it returns something truthy (a status, a non-empty list), for at
    most ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


async def in_force(
    client: Client,
    directory: Directory,
    definition: ProcessDefinition,
    store: DocumentStore,
    *,
    slug: str,
    task_queue: str,
    legal_day_seconds: float,
    title: str | None = None,
    wait_result: bool = True,
) -> str:
    """A provincial decision taken to entry into force under the simplified procedure
    (``wait_result=False`` on the time-skipping server, where waiting for a result lets the
    server skip time)."""
    handle = await start_case(
        client,
        directory,
        StartRequest(
            definition=definition,
            title=title or f"Quy định thí điểm ({slug})",
            starter=DRAFTER,
            slug=slug,
            legal_day_seconds=legal_day_seconds,
            simplified=SimplifiedDecision(
                decided_by=SIGNER, reason="Sửa đổi ngay cho phù hợp văn bản mới (test)"
            ),
        ),
        task_queue=task_queue,
    )
    st = await walk(client, handle.id, definition, store, timeout=180)
    assert st.stage == "in_force", st.stage
    if wait_result:
        await handle.result()
    return handle.id


async def monitored(client: Client, case_id: str, timeout: float = 30) -> MonitoringStatus:
    """The document's monitoring, once it has read its rules and people."""

    async def probe() -> MonitoringStatus | None:
        try:
            return await monitoring_status(client, case_id)
        except Exception:
            return None

    return await until(f"monitoring of {case_id}", probe, timeout)


def messages(
    outbox: OutboxNotifier, workflow_id: str, kind: str | None = None
) -> list[Notification]:
    return [
        m
        for m in outbox.list_messages()
        if m.case_id == workflow_id and (kind is None or m.kind == kind)
    ]


def postings(data_dir: Path, channel: str) -> list[Publication]:
    return FilesystemPublisher(data_dir / "publications").list_postings(channel)


async def quiet_length(client: Client, workflow_id: str) -> int:
    """The history length once the workflow has nothing in flight (no workflow task after
    its last completed one, no activity pending, the same length twice in a row): what a
    refusal must leave unchanged."""
    handle = client.get_workflow_handle(workflow_id)
    seen: list[int] = []

    async def probe() -> int | None:
        desc = await handle.describe()
        events = (await handle.fetch_history()).events
        tasks = [
            e.HasField("workflow_task_completed_event_attributes")
            for e in events
            if e.HasField("workflow_task_completed_event_attributes")
            or e.HasField("workflow_task_scheduled_event_attributes")
        ]
        idle = bool(tasks) and tasks[-1] and not desc.raw_description.pending_activities
        seen.append(len(events) if idle else 0)
        stable = len(seen) > 1 and seen[-1] == seen[-2] != 0
        if not stable:
            await asyncio.sleep(0.2)
        return seen[-1] if stable else None

    return await until(f"{workflow_id} to be idle", probe)


async def feedback_case_reporting_to(
    client: Client, feedback_id: str, monitoring: str, task_queue: str
) -> str:
    """Start a copy of a feedback case (its input read from its history) that reports to
    the workflow ``monitoring``, which need not exist: the id of the copy."""
    history = await client.get_workflow_handle(feedback_id).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    inp = FeedbackInput.model_validate_json(started.input.payloads[0].data)
    copy = inp.model_copy(
        update={"feedback_id": f"{monitoring}/feedback", "monitoring_id": monitoring}
    )
    await client.start_workflow(FeedbackCase.run, copy, id=copy.feedback_id, task_queue=task_queue)
    return copy.feedback_id


async def refused_signals(client: Client, workflow_id: str) -> int:
    """How many of the workflow's signals to another workflow the server refused."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    failed = EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED
    return sum(1 for e in history.events if e.event_type == failed)
