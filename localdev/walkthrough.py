"""Walk a case along its definition's shortest path to a target stage (client side).

Used by ``legisflow demo`` and the lifecycle tests: at each step it waits until the next
action is allowed (a minimum period may still be running), has the first eligible person
take it, uploads a generated document when one is required, and waits for automatic
transitions to happen. Nothing here knows a stage name: the path comes from the data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from temporalio.client import Client

from activities.ports import DocumentStore
from client.cases import act, allowed, reply, stage, status
from client.comments import comments_summary, dispose, dispose_public, open_comment_ids
from client.signing import act_with_signed
from models.case import ActionRequest, AllowedAction, CaseStatus, ReplyRequest, StageView
from models.choices import Disposition
from models.comments import DispositionRequest
from models.definition import ProcessDefinition, Transition
from models.machine import shortest_path
from models.public_consultation import PublicDispositionRequest
from models.signature_evidence import approval_statement
from public_records.campaigns import clusters_page
from public_records.comments import PublicComments
from signatures.demo_signers import DemoSigners
from signatures.documents import text_pdf

T = TypeVar("T")


class WalkTimeout(TimeoutError):
    pass


class _Staged(Protocol):
    @property
    def stage(self) -> str: ...


async def _poll(
    ask: Callable[[], Awaitable[T]],
    predicate: Callable[[T], bool],
    *,
    timeout: float,
    poll: float,
    unmet: Callable[[T], str],
) -> T:
    """Ask until ``predicate`` holds (a condition, not a guess at how long it takes)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        answer = await ask()
        if predicate(answer):
            return answer
        if loop.time() > deadline:
            raise WalkTimeout(f"{unmet(answer)}: condition not met within {timeout}s")
        await asyncio.sleep(poll)


S = TypeVar("S", CaseStatus, StageView)


async def _until(
    ask: Callable[[], Awaitable[S]],
    predicate: Callable[[S], bool],
    case_id: str,
    timeout: float,
    poll: float,
) -> S:
    return await _poll(
        ask, predicate, timeout=timeout, poll=poll, unmet=lambda st: f"{case_id} (stage {st.stage})"
    )


async def wait_for_status(
    client: Client,
    case_id: str,
    predicate: Callable[[CaseStatus], bool],
    *,
    timeout: float,
    poll: float = 0.05,
) -> CaseStatus:
    """Query the whole status until ``predicate`` holds."""
    return await _until(lambda: status(client, case_id), predicate, case_id, timeout, poll)


async def wait_for_stage(
    client: Client,
    case_id: str,
    predicate: Callable[[StageView], bool],
    *,
    timeout: float,
    poll: float = 0.05,
) -> StageView:
    """The same with the cheap ``stage`` query, for conditions on the stage and the pending
    effects only: each poll costs worker, server and client about 0.6 ms less CPU than a
    ``status`` (bench/README.md, P9)."""
    return await _until(lambda: stage(client, case_id), predicate, case_id, timeout, poll)


async def wait_for_action(
    client: Client, case_id: str, action: str, *, timeout: float, poll: float = 0.05
) -> AllowedAction:
    """Poll the ``allowed`` query until ``action`` may be taken; who may take it, and whether
    it needs a document."""
    actions = await _poll(
        lambda: allowed(client, case_id),
        lambda now: any(a.action == action for a in now),
        timeout=timeout,
        poll=poll,
        unmet=lambda now: f"{case_id} ({action} not allowed; allowed: {[a.action for a in now]})",
    )
    return next(a for a in actions if a.action == action)


def document_for(t: Transition, case_id: str, n: int) -> bytes:
    return (f"# {t.label} / {t.label_en}\n\nHồ sơ / Case: {case_id}\nBản số / Copy: {n}\n").encode()


async def _settle(
    client: Client, case_id: str, definition: ProcessDefinition, t: Transition, timeout: float
) -> None:
    """Wait for the stage's effects, then have each consulted body reply, if the stage
    asks any (its requests open with those effects)."""
    if not definition.stages[t.source].consults:
        await wait_for_stage(client, case_id, lambda s: s.pending_effects == 0, timeout=timeout)
        return
    st = await wait_for_status(client, case_id, lambda s: s.pending_effects == 0, timeout=timeout)
    for c in st.consultations:
        if c.replied_by is None and not c.overdue and c.holders:
            await reply(
                client,
                case_id,
                ReplyRequest(
                    declare_no_interest=True,
                    actor=c.holders[0],
                    role=c.role,
                    note=f"Ý kiến của {c.label} (walkthrough)",
                ),
            )


async def _dispose_comments(
    client: Client,
    case_id: str,
    definition: ProcessDefinition,
    timeout: float,
    records: PublicComments | None,
) -> None:
    """Accept every comment still lacking a disposition, and every cluster of the public's
    comments still unanswered, as the first drafter."""
    st = await wait_for_status(client, case_id, lambda s: s.pending_effects == 0, timeout=timeout)
    if not st.comments_pending:
        return
    drafter = st.roles[definition.starter_role][0]
    await _answer_public(client, case_id, drafter, timeout, records)
    for cid in await open_comment_ids(client, case_id):
        await dispose(
            client,
            case_id,
            DispositionRequest(
                declare_no_interest=True,
                comment_id=cid,
                disposition=Disposition.ACCEPTED,
                actor=drafter,
            ),
        )


async def _answer_public(
    client: Client, case_id: str, drafter: str, timeout: float, records: PublicComments | None
) -> None:
    """Accept each unanswered cluster of the public's comments, once the ledger counted them."""
    # The ledger counts them once the period has closed.
    summary = await _poll(
        lambda: comments_summary(client, case_id),
        lambda s: s.public is not None or not s.closed,
        timeout=timeout,
        poll=0.1,
        unmet=lambda s: f"{case_id}: the public's comments counted",
    )
    if summary.public is None or summary.public.open_clusters == 0:
        return
    if records is None:
        raise RuntimeError(
            f"{case_id}: {summary.public.open_clusters} clusters of public comments await an "
            "answer; give walk() the public's records to answer them"
        )
    clusters = await asyncio.to_thread(
        clusters_page, records.db, case_id, limit=10_000, only_open=True
    )
    for cluster in clusters:
        await dispose_public(
            client,
            case_id,
            PublicDispositionRequest(
                declare_no_interest=True,
                cluster=cluster.representative,
                disposition=Disposition.ACCEPTED,
                actor=drafter,
            ),
        )


def reached(dest: str) -> Callable[[_Staged], bool]:
    return lambda s: s.stage == dest


def allows(action: str) -> Callable[[CaseStatus], bool]:
    return lambda s: any(a.action == action for a in s.allowed)


async def walk(
    client: Client,
    case_id: str,
    definition: ProcessDefinition,
    store: DocumentStore,
    *,
    target: str | None = None,
    timeout: float = 120.0,
    on_step: Callable[[Transition, CaseStatus], Awaitable[None] | None] | None = None,
    signing: DemoSigners | None = None,
    records: PublicComments | None = None,
) -> CaseStatus:
    """Drive the case to ``target`` (default: the first final stage); with ``signing``, a
    step that requires a signature gets a PDF signed by the person acting (the demo's)."""
    goal = target or definition.final[0]
    st = await status(client, case_id)
    stale = False  # True once ``st`` is from before the last step
    # Polls use the cheap ``stage`` and ``allowed`` queries; the whole status is fetched only
    # where it is read (consultations, comments, ``on_step``, the result).
    for n, t in enumerate(shortest_path(definition, st.stage, goal, st.simplified), start=1):
        if t.automatic:
            await wait_for_stage(client, case_id, reached(t.dest), timeout=timeout)
        else:
            await _settle(client, case_id, definition, t, timeout)
            if "comments_disposed" in t.guards:
                await _dispose_comments(client, case_id, definition, timeout, records)
            may = await wait_for_action(client, case_id, t.action, timeout=timeout)
            request = ActionRequest(
                declare_no_interest=True,
                action=t.action,
                actor=may.actors[0],
                note=f"{t.label_en} (walkthrough)",
            )
            if may.requires_document and t.requires_signature and signing is not None:
                text = document_for(t, case_id, n).decode()
                pdf = await signing.sign(request.actor, text_pdf(t.label, text), t.label)
                result = await act_with_signed(
                    client, store, case_id, request, pdf, f"{t.action}-{n}.pdf", signing.roots
                )
            else:
                if may.requires_document:
                    request = request.model_copy(update={"document": store.put_blob(
                        document_for(t, case_id, n), f"{t.action}-{n}.md", "text/markdown"
                    )})  # fmt: skip
                if may.requires_approval and signing is not None:
                    doc = request.document.sha256 if request.document else None
                    statement = approval_statement(case_id, t.action, request.actor, doc)
                    approval = await signing.approve(request.actor, statement)
                    request = request.model_copy(update={"approval": approval})
                result = await act(client, case_id, request)
            # The Update returns once the case is in its new stage: no query needed to know it.
            if result.stage != t.dest:
                raise RuntimeError(f"{case_id}: {t.action} led to {result.stage}, not {t.dest}")
        stale = True
        if on_step is not None:
            st, stale = await status(client, case_id), False
            step = on_step(t, st)
            if step is not None:
                await step
    return await status(client, case_id) if stale else st
