"""The Python client for legisflow cases (client side; not workflow code).

Starting a case resolves its definition and role holders here, so the workflow receives
everything it runs under. Refusals come back as ``CaseActionRefused`` with the validator's
message and code.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import unicodedata
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
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
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.ledger_pages import read_entries
from activities.ports import DocumentRef, DocumentStore
from models.actors import ActorRef, Directory, missing_roles
from models.case import (
    ActionRequest,
    ActionResult,
    AllowedAction,
    CalendarSettings,
    CaseInput,
    CaseResult,
    CaseStatus,
    ConsultView,
    MigrationRequest,
    ReplyRequest,
    SimplifiedDecision,
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
from models.legal_time import LegalClock
from models.links import CaseLink, memo_links
from models.migration import MigrationPlan, plan_migration
from workflows import search_attributes as sa
from workflows.comment_ledger import CommentLedger
from workflows.legislative_process import LegislativeProcess

T = TypeVar("T")


class CaseError(Exception):
    """A request about a case that cannot be carried out; the message says why."""


class CaseExists(CaseError):
    """A case with this id already exists (starting twice is refused, not duplicated)."""


class CaseActionRefused(CaseError):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def slugify(text: str, max_len: int = 60) -> str:
    """ASCII slug of a Vietnamese title: "Quy định phân cấp" -> "quy-dinh-phan-cap"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_len].rstrip("-") or "van-ban"


def case_id_for(agency: str, slug: str) -> str:
    """Readable workflow id: the drafting agency and the document's slug."""
    return f"{agency}:{slug}"


@dataclass(frozen=True)
class StartRequest:
    definition: ProcessDefinition
    title: str
    starter: str
    slug: str | None = None
    legal_day_seconds: float = 86400.0
    calendar: CalendarSettings = field(default_factory=CalendarSettings)
    #: The authority's decision to use the simplified procedure, if it made one.
    simplified: SimplifiedDecision | None = None
    comment_ledger_events: int = 4000
    #: Cases this one is linked to (the document an amendment amends).
    links: tuple[CaseLink, ...] = ()


async def start_case(
    client: Client, directory: Directory, req: StartRequest, *, task_queue: str
) -> WorkflowHandle[LegislativeProcess, CaseResult]:
    """Start a case; refuses a second case with the same id (agency + slug)."""
    d = req.definition
    try:
        person = directory.person(req.starter)
    except KeyError as exc:
        raise CaseError(str(exc.args[0])) from None
    if d.starter_role not in person.roles:
        raise CaseError(
            f"{person.id!r} does not hold role {d.starter_role!r} needed to start a "
            f"{d.doc_type} case"
        )
    agency = directory.agency(person.agency)
    if agency.level is not d.level:
        raise CaseError(
            f"{agency.name} ({agency.level.value if agency.level else 'no tier'}) cannot draft "
            f"a {d.name} ({d.level.value} document)"
        )
    assignments = directory.assign_roles(d, agency.id)
    used_roles = sorted({t.role for t in d.transitions if not t.automatic})
    missing = missing_roles(assignments, used_roles)
    if missing:
        raise CaseError(
            f"no one in the directory holds {', '.join(missing)} for {agency.name}; "
            "add them to the directory before starting"
        )
    if req.simplified is not None:
        _check_simplified(d, req.simplified, assignments)
    case_id = case_id_for(agency.id, req.slug or slugify(req.title))
    inp = CaseInput(
        case_id=case_id,
        title=req.title,
        definition=d,
        drafting_agency=agency.id,
        drafting_agency_name=agency.name,
        started_by=person.id,
        assignments=assignments,
        legal_day_seconds=req.legal_day_seconds,
        calendar=req.calendar,
        simplified=req.simplified,
        comment_ledger_events=req.comment_ledger_events,
        links=list(req.links),
    )
    try:
        return await client.start_workflow(
            LegislativeProcess.run,
            inp,
            id=case_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(sa.LEGAL_STAGE, d.initial),
                    SearchAttributePair(sa.DOCUMENT_TYPE, d.doc_type),
                    SearchAttributePair(sa.DRAFTING_AGENCY, agency.id),
                    SearchAttributePair(sa.LEGAL_REGIME, d.regime),
                    SearchAttributePair(sa.OVERDUE, False),
                ]
            ),
            memo={
                "title": req.title,
                "agency": agency.name,
                "type": d.name,
                **({"links": memo_links(list(req.links))} if req.links else {}),
            },
            static_summary=f"{d.name}: {req.title}",
            static_details=(
                f"**{req.title}**\n\n"
                f"- Loại văn bản / Type: {d.name} (`{d.doc_type}`)\n"
                f"- Chế độ pháp lý / Regime: {d.regime} — {d.regime_basis}\n"
                f"- Cơ quan chủ trì / Drafting agency: {agency.name}\n"
            ),
        )
    except WorkflowAlreadyStartedError:
        raise CaseExists(
            f"a case with id {case_id!r} already exists; choose another --slug"
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


def _check_simplified(
    d: ProcessDefinition, decision: SimplifiedDecision, assignments: dict[str, list[ActorRef]]
) -> None:
    """Only the authority the law names may decide the simplified procedure (Điều 50)."""
    if d.simplified is None:
        raise CaseError(f"{d.key} has no simplified procedure (trình tự rút gọn)")
    deciders = [a.id for a in assignments.get(d.simplified.decided_by, [])]
    if decision.decided_by not in deciders:
        raise CaseError(
            f"{decision.decided_by!r} may not decide the simplified procedure for {d.key}: "
            f"it is decided by {d.simplified.decided_by} ({', '.join(deciders) or 'nobody'}); "
            f"basis: {d.simplified.basis}"
        )


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
