"""The Python client for legisflow cases (client side; not workflow code).

Starting a case resolves its definition and role holders here, so the workflow receives
everything it runs under. Refusals come back as ``CaseActionRefused`` with the validator's
message and code.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.ledger_pages import read_entries
from activities.ports import DocumentStore
from client.errors import CaseActionRefused, CaseError, CaseExists
from models.actors import Directory
from models.case import (
    ActionRequest,
    ActionResult,
    AllowedAction,
    CaseResult,
    CaseStatus,
    ConsultView,
    MigrationRequest,
    ReplyRequest,
    StageView,
)
from models.comments import (
    MAX_COMMENT_CHARS,
    CommentReceipt,
    CommentRequest,
    CommentSummary,
    DispositionReceipt,
    DispositionRequest,
    Entry,
    normalize,
    text_hash,
)
from models.definition import ProcessDefinition
from models.documents import DocumentRef
from models.legal_time import LegalClock
from models.migration import MigrationPlan, plan_migration
from models.starting import StartRefused, StartRequest, plan_case
from workflows import search_attributes as sa
from workflows.drafting.comment_ledger import CommentLedger
from workflows.drafting.legislative_process import LegislativeProcess

T = TypeVar("T")


async def start_case(
    client: Client, directory: Directory, req: StartRequest, *, task_queue: str
) -> WorkflowHandle[LegislativeProcess, CaseResult]:
    """Start a case; refuses a second case with the same id (agency + slug)."""
    try:
        opening = plan_case(directory, req)
    except StartRefused as refused:
        raise CaseError(str(refused)) from None
    try:
        return await client.start_workflow(
            LegislativeProcess.run,
            opening.inp,
            id=opening.case_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=sa.typed(opening.search_attributes),
            memo=opening.memo,
            static_summary=opening.summary,
            static_details=opening.details,
        )
    except WorkflowAlreadyStartedError:
        raise CaseExists(
            f"a case with id {opening.case_id!r} already exists; choose another --slug"
        ) from None


#: How long a decision waits while the workflow is at Temporal's limit of concurrent
#: in-flight Updates (10 per workflow by default) before giving up.
BUSY_RETRY_SECONDS = 60.0


async def _decide(
    send: Callable[[], Awaitable[T]], not_found: str | None = None, *, idempotent: bool = False
) -> T:
    """Send an Update; a refusal becomes CaseActionRefused (the validator's code and
    reason), a missing workflow CaseError(``not_found``). While the workflow has too many
    Updates in flight (many people commenting at once) it waits and tries again; an
    ``idempotent`` Update is also retried when the server aborted it (the workflow was
    continuing as new) or the outcome is unknown."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + BUSY_RETRY_SECONDS
    delay = 0.05
    while True:
        try:
            return await send()
        except WorkflowUpdateRPCTimeoutOrCancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                # The caller was cancelled (Ctrl-C, SIGTERM): stop, do not send again.
                raise asyncio.CancelledError from None
            if not idempotent or loop.time() > give_up:
                raise
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError):
                code = str(cause.details[0]) if cause.details else cause.type or "refused"
                raise CaseActionRefused(cause.message, code) from None
            raise
        except RPCError as err:
            if not_found is not None and err.status == RPCStatusCode.NOT_FOUND:
                raise CaseError(not_found) from None
            retry = err.status == RPCStatusCode.RESOURCE_EXHAUSTED or (
                idempotent and err.status == RPCStatusCode.UNAVAILABLE
            )
            if not retry or loop.time() > give_up:
                raise
        await asyncio.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 1.0)


async def act(client: Client, case_id: str, request: ActionRequest) -> ActionResult:
    """Take an action; CaseActionRefused carries the validator's code and reason (and,
    when comments hold the step, which ones)."""
    handle = client.get_workflow_handle(case_id)
    try:
        return await _decide(
            lambda: handle.execute_update(LegislativeProcess.act, request), f"no case {case_id!r}"
        )
    except CaseActionRefused as refused:
        if refused.code == "guard_failed" and "lack a disposition" in str(refused):
            summary = await comments_summary(client, case_id)
            more = "…" if summary.open > len(summary.open_ids) else ""
            refused = CaseActionRefused(
                f"{refused}; without a disposition ({summary.open}): "
                f"{', '.join(summary.open_ids)}{more}",
                refused.code,
            )
        raise refused from None


async def reply(client: Client, case_id: str, request: ReplyRequest) -> ConsultView:
    """A consulted body's written opinion on the case's open consultation."""
    handle = client.get_workflow_handle(case_id)
    return await _decide(lambda: handle.execute_update(LegislativeProcess.reply, request))


def ledger_id(case_id: str) -> str:
    return f"{case_id}/comments"


async def comment(
    client: Client,
    store: DocumentStore,
    case_id: str,
    *,
    author: str,
    text: str,
    source: str = "public",
) -> CommentReceipt:
    """Submit a comment: the text goes to the document store, the ledger keeps a reference."""
    if not text.strip():
        raise CaseError("the comment is empty")
    if len(normalize(text)) > MAX_COMMENT_CHARS:
        raise CaseError(
            f"the comment has {len(normalize(text))} characters; at most {MAX_COMMENT_CHARS} "
            "are accepted (send a longer opinion as a document with `legisflow reply`)"
        )
    body = json.dumps({"author": author, "source": source, "text": text}, ensure_ascii=False)
    ref = store.put_blob(body.encode("utf-8"), "gop-y.json", "application/json")
    req = CommentRequest(
        submission_id=uuid.uuid4().hex,
        author=author,
        source=source,
        text_sha256=text_hash(text),
        chars=len(normalize(text)),
        body=ref,
    )
    handle = client.get_workflow_handle(ledger_id(case_id))
    return await _decide(
        lambda: handle.execute_update(CommentLedger.comment, req, id=req.submission_id),
        f"{case_id!r} has no open consultation to comment on",
        idempotent=True,
    )


async def dispose(client: Client, case_id: str, request: DispositionRequest) -> DispositionReceipt:
    handle = client.get_workflow_handle(ledger_id(case_id))
    return await _decide(
        lambda: handle.execute_update(CommentLedger.dispose, request),
        f"{case_id!r} has no comments to dispose of",
        idempotent=True,  # the same disposition twice is the same disposition
    )


async def comments_summary(client: Client, case_id: str) -> CommentSummary:
    try:
        return await client.get_workflow_handle(ledger_id(case_id)).query(CommentLedger.summary)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise CaseError(f"{case_id!r} has not collected comments yet") from None
        raise


async def comment_entries(
    client: Client,
    store: DocumentStore,
    case_id: str,
    *,
    open_only: bool = False,
    limit: int | None = 200,
) -> list[Entry]:
    """Distinct comments in order: the ledger's pages from the store plus its current run."""
    handle = client.get_workflow_handle(ledger_id(case_id))
    try:
        view = await handle.query(CommentLedger.view)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise CaseError(f"{case_id!r} has not collected comments yet") from None
        raise
    entries = read_entries(store, view)
    if open_only:
        entries = [e for e in entries if e.disposition is None]
    return entries if limit is None else entries[:limit]


async def open_comment_ids(client: Client, case_id: str, *, limit: int = 10_000) -> list[str]:
    """Ids of the comments still lacking a disposition (no document store needed)."""
    handle = client.get_workflow_handle(ledger_id(case_id))
    ids: list[str] = []
    while len(ids) < limit:
        want = min(2000, limit - len(ids))
        page: list[str] = await handle.query(CommentLedger.open_ids, args=[len(ids), want])
        ids += page
        if len(page) < want:
            break
    return ids


async def current_definition(client: Client, case_id: str) -> ProcessDefinition:
    return await client.get_workflow_handle(case_id).query(LegislativeProcess.definition)


async def plan_case_migration(
    client: Client, case_id: str, target: ProcessDefinition
) -> MigrationPlan:
    """What moving the case to ``target`` would change (a dry run: nothing is written)."""
    st = await status(client, case_id)
    source = await current_definition(client, case_id)
    return plan_migration(source, target, st.stage, st.simplified)


async def migrate(
    client: Client,
    directory: Directory,
    case_id: str,
    target: ProcessDefinition,
    *,
    operator: str,
    reason: str,
) -> str:
    """Move the case to ``target``; the workflow re-checks the plan and the operator."""
    st = await status(client, case_id)
    assignments = directory.assign_roles(target, st.drafting_agency)
    handle = client.get_workflow_handle(case_id)
    request = MigrationRequest(
        definition=target, assignments=assignments, operator=operator, reason=reason
    )
    return await _decide(
        lambda: handle.execute_update(LegislativeProcess.migrate, request), f"no case {case_id!r}"
    )


async def status(client: Client, case_id: str, now: datetime | None = None) -> CaseStatus:
    handle = client.get_workflow_handle(case_id)
    st = await handle.query(LegislativeProcess.status)
    # A query sees the time of the case's last event; "today" is the caller's now.
    clock = LegalClock(origin=st.started_at, legal_day_seconds=st.legal_day_seconds)
    return st.model_copy(update={"legal_today": clock.legal_date(now or datetime.now(UTC))})


async def stage(client: Client, case_id: str) -> StageView:
    """Where the case is (a cheap query: no allowed actions or deadlines computed)."""
    return await client.get_workflow_handle(case_id).query(LegislativeProcess.stage)


async def allowed(client: Client, case_id: str, actor: str | None = None) -> list[AllowedAction]:
    """What ``actor`` (anyone, when None) can do now: the cheap query for a loop that waits
    for an action to become possible."""
    handle = client.get_workflow_handle(case_id)
    return await handle.query(LegislativeProcess.allowed, actor)


def upload(store: DocumentStore, path: Path) -> DocumentRef:
    """Put a file in the document store; the workflow then carries only its reference."""
    if not path.is_file():
        raise CaseError(f"{path}: no such file")
    media = {
        ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".pdf": "application/pdf",
        ".md": "text/markdown",
        ".txt": "text/plain",
    }
    return store.put_blob(
        path.read_bytes(), path.name, media.get(path.suffix.lower(), "application/octet-stream")
    )


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
