"""Drafting cases through the client API: start one, act on it, reply to its written
consultation, read where it is, move it to another regime (client side; not workflow code).

Starting a case resolves its definition and role holders (``models/starting.py``), so the
workflow receives everything it runs under. Every decision goes through the one Update sender
(``client/updates.py``): refusals come back as ``CaseActionRefused`` with the validator's code
and message, and an action on a case that has ended as ``case_closed``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from temporalio.client import Client, WorkflowHandle, WorkflowQueryFailedError
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from client.comments import comments_summary, ledger_id
from client.errors import CaseActionRefused, CaseError, CaseExists
from client.updates import send_update
from models.actors import ActorRef, Directory
from models.authorship import KeyRotation, TrustedKey
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
from models.contested_issues import ContestedIssue, DirectionRequest, RaiseIssueRequest
from models.definition import ProcessDefinition
from models.delegation import Delegation, DelegationForm, DelegationRequest
from models.interests import Declaration, InterestDeclaration, ReassignRequest
from models.legal_time import LegalClock
from models.migration import MigrationPlan, definition_digest, plan_migration
from models.starting import CaseOpening, StartRefused, StartRequest, plan_case
from workflows import search_attributes as sa
from workflows.drafting.legislative_process import LegislativeProcess


async def start_case(
    client: Client, directory: Directory, req: StartRequest, *, task_queue: str
) -> WorkflowHandle[LegislativeProcess, CaseResult]:
    """Start a case; refuses a second case with the same id (agency + slug)."""
    try:
        opening = plan_case(directory, req)
    except StartRefused as refused:
        raise CaseError(str(refused)) from None
    return await open_case(client, opening, task_queue=task_queue)


async def open_case(
    client: Client, opening: CaseOpening, *, task_queue: str
) -> WorkflowHandle[LegislativeProcess, CaseResult]:
    """Start the case ``plan_case`` planned (an interface may plan first, to say what is wrong
    before it connects)."""
    try:
        return await client.start_workflow(
            LegislativeProcess.run,
            opening.inp,
            task_queue=task_queue,
            **sa.start_options(opening),
        )
    except WorkflowAlreadyStartedError:
        raise CaseExists(
            f"a case with id {opening.case_id!r} already exists; choose another --slug"
        ) from None


async def _case_closed(client: Client, case_id: str) -> str:
    """Why a case that has ended refuses every action: the final stage it reached."""
    try:
        st = await status(client, case_id)
    except (RPCError, WorkflowQueryFailedError):
        return f"hồ sơ đã kết thúc / case {case_id} has ended; nothing was changed"
    return (
        f"hồ sơ đã kết thúc ở bước {st.stage_label} / case {case_id} has reached its final "
        f"stage {st.stage} ({st.stage_label_en}); nothing was changed"
    )


async def _decide(client: Client, case_id: str, update: Any, request: Any) -> Any:
    return await send_update(
        client.get_workflow_handle(case_id),
        update,
        request,
        closed=lambda: _case_closed(client, case_id),
        missing=f"no case {case_id!r}; see `legisflow list`",
    )


async def act(client: Client, case_id: str, request: ActionRequest) -> ActionResult:
    """Take an action; CaseActionRefused carries the validator's code and reason (and,
    when comments hold the step, which ones)."""
    try:
        result: ActionResult = await _decide(client, case_id, LegislativeProcess.act, request)
        return result
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
    view: ConsultView = await _decide(client, case_id, LegislativeProcess.reply, request)
    return view


async def raise_issue(client: Client, case_id: str, request: RaiseIssueRequest) -> ContestedIssue:
    """Send an issue up for direction (xin ý kiến chỉ đạo); the case answers with it numbered
    and its deadline."""
    issue: ContestedIssue = await _decide(client, case_id, LegislativeProcess.raise_issue, request)
    return issue


async def give_direction(client: Client, case_id: str, request: DirectionRequest) -> ContestedIssue:
    """The competent authority's direction on an open issue (ý kiến chỉ đạo)."""
    issue: ContestedIssue = await _decide(
        client, case_id, LegislativeProcess.give_direction, request
    )
    return issue


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
    source_key: str | None = None,
) -> str:
    """Move the case to ``target``; the workflow re-checks the plan and the operator.
    ``source_key`` is the regime the plan was made from (default: the case's now); the case
    refuses the move if it is no longer under it."""
    st = await status(client, case_id)
    assignments = directory.assign_roles(target, st.drafting_agency)
    request = MigrationRequest(
        definition=target,
        assignments=assignments,
        operator=operator,
        reason=reason,
        source_key=source_key or (await current_definition(client, case_id)).key,
        definition_digest=definition_digest(target),
    )
    key: str = await _decide(client, case_id, LegislativeProcess.migrate, request)
    return key


def _person(directory: Directory, person: str) -> ActorRef:
    try:
        return directory.person(person).ref()
    except KeyError as exc:
        raise CaseError(str(exc.args[0])) from None


async def delegate(
    client: Client,
    directory: Directory,
    case_id: str,
    *,
    actor: str,
    role: str,
    deputy: str,
    until: date,
    reason: str,
    form: DelegationForm = DelegationForm.KT,
) -> Delegation:
    """``actor`` names ``deputy`` (a person of the directory) to act for them in ``role``
    until the end of the legal day ``until`` (ký thay, KT.; or by order, TL.)."""
    request = DelegationRequest(
        actor=actor,
        role=role,
        deputy=_person(directory, deputy),
        until=until,
        reason=reason,
        form=form,
    )
    result: Delegation = await _decide(client, case_id, LegislativeProcess.delegate, request)
    return result


async def declare_interest(
    client: Client, case_id: str, *, actor: str, interest: str | None
) -> Declaration:
    """``actor`` declares a conflict of interest in the case (``interest`` says what it is),
    or none (``interest`` None). A declared interest makes them stand aside. ``case_id`` is
    a drafting case, a feedback case or a check; for a drafting case whose comment ledger
    runs, a drafter's declaration is made on the ledger too (dispositions are decisions)."""
    request = InterestDeclaration(actor=actor, has_interest=interest is not None, detail=interest)
    # By name: the same Update on a drafting case, a feedback case, a check and a ledger.
    declared = Declaration.model_validate(
        await _decide(client, case_id, "declare_interest", request)
    )
    if ledger_id(case_id) in await running_children(client, case_id):
        try:
            await _decide(client, ledger_id(case_id), "declare_interest", request)
        except CaseActionRefused as refused:
            if refused.code not in ("not_involved", "already_declared", "already_recused"):
                raise
    return declared


async def reassign(
    client: Client,
    directory: Directory,
    case_id: str,
    *,
    actor: str,
    person: str,
    to: str,
    reason: str,
    role: str | None = None,
) -> dict[str, list[str]]:
    """``actor`` (``person``'s direct superior, or an operator) gives ``person``'s tasks in
    the case (only ``role``'s, when given) to ``to``; returns who holds each role moved."""
    request = ReassignRequest(
        actor=actor,
        person=person,
        to=_person(directory, to),
        role=role,
        reason=reason,
    )
    result: dict[str, list[str]] = await _decide(
        client, case_id, LegislativeProcess.reassign, request
    )
    return result


async def rotate_keys(
    client: Client, case_id: str, keys: list[TrustedKey], *, operator: str, reason: str
) -> list[str]:
    """Make the workflow ``case_id`` trust ``keys`` from now on (the sign-in service's new
    key): a drafting case, or any workflow with a ``rotate_keys`` Update (a consultation
    request, the comment ledger, a feedback case, a check). The decision is proven with a
    key the workflow trusts today. Returns the ids it now trusts."""
    request = KeyRotation(operator=operator, keys=keys, reason=reason)
    ids: list[str] = await _decide(client, case_id, "rotate_keys", request)
    return ids


async def running_children(client: Client, case_id: str) -> list[str]:
    """The ids of the workflows ``case_id`` started that still run (its consultation
    requests, its comment ledger, the document's monitoring), from Temporal visibility."""
    query = f"ParentWorkflowId = '{case_id}' AND ExecutionStatus = 'Running'"
    return [w.id async for w in client.list_workflows(query)]


async def status(client: Client, case_id: str, now: datetime | None = None) -> CaseStatus:
    handle = client.get_workflow_handle(case_id)
    return as_of(await handle.query(LegislativeProcess.status), now)


def as_of(st: CaseStatus, now: datetime | None = None) -> CaseStatus:
    """``st`` with ``legal_today`` the caller's legal day: a query (or a status read earlier)
    sees the time of the case's last event, not the reader's now."""
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
