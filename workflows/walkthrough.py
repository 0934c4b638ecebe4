"""Walk a case along its definition's shortest path to a target stage (client side).

Used by ``legisflow demo`` and the lifecycle tests: at each step it waits until the next
action is allowed (a minimum period may still be running), has the first eligible person
take it, uploads a generated document when one is required, and waits for automatic
transitions to happen. Nothing here knows a stage name: the path comes from the data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from temporalio.client import Client

from activities.ports import DocumentStore
from models.case import ActionRequest, CaseStatus, ReplyRequest
from models.comments import Disposition, DispositionRequest
from models.definition import ProcessDefinition, Transition
from models.machine import shortest_path
from workflows.client import act, dispose, open_comment_ids, reply, status


class WalkTimeout(TimeoutError):
    pass


async def wait_for_status(
    client: Client,
    case_id: str,
    predicate: Callable[[CaseStatus], bool],
    *,
    timeout: float,
    poll: float = 0.05,
) -> CaseStatus:
    """Query until ``predicate`` holds (a condition, not a guess at how long it takes)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        st = await status(client, case_id)
        if predicate(st):
            return st
        if loop.time() > deadline:
            raise WalkTimeout(f"{case_id}: condition not met within {timeout}s; stage {st.stage}")
        await asyncio.sleep(poll)


def document_for(t: Transition, case_id: str, n: int) -> bytes:
    return (f"# {t.label} / {t.label_en}\n\nHồ sơ / Case: {case_id}\nBản số / Copy: {n}\n").encode()


async def _answer_consultations(
    client: Client, case_id: str, t: Transition, timeout: float
) -> None:
    """Have each consulted body reply, once the stage's requests are open."""
    st = await wait_for_status(client, case_id, lambda s: s.pending_effects == 0, timeout=timeout)
    for c in st.consultations:
        if c.replied_by is None and not c.overdue and c.holders:
            await reply(
                client,
                case_id,
                ReplyRequest(
                    actor=c.holders[0],
                    role=c.role,
                    note=f"Ý kiến của {c.label} (walkthrough)",
                ),
            )


async def _dispose_comments(
    client: Client, case_id: str, definition: ProcessDefinition, timeout: float
) -> None:
    """Accept every comment still lacking a disposition, as the first drafter."""
    st = await wait_for_status(client, case_id, lambda s: s.pending_effects == 0, timeout=timeout)
    if not st.comments_pending:
        return
    drafter = st.roles[definition.starter_role][0]
    for cid in await open_comment_ids(client, case_id):
        await dispose(
            client,
            case_id,
            DispositionRequest(comment_id=cid, disposition=Disposition.ACCEPTED, actor=drafter),
        )


def reached(stage: str) -> Callable[[CaseStatus], bool]:
    return lambda s: s.stage == stage


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
) -> CaseStatus:
    """Drive the case to ``target`` (default: the first final stage)."""
    goal = target or definition.final[0]
    st = await status(client, case_id)
    stale = False  # True after an act: ``st`` is from before it
    for n, t in enumerate(shortest_path(definition, st.stage, goal, st.simplified), start=1):
        if t.automatic:
            st = await wait_for_status(client, case_id, reached(t.dest), timeout=timeout)
            stale = False
        else:
            await _answer_consultations(client, case_id, t, timeout)
            if "comments_disposed" in t.guards:
                await _dispose_comments(client, case_id, definition, timeout)
            st = await wait_for_status(client, case_id, allows(t.action), timeout=timeout)
            stale = False
            allowed = next(a for a in st.allowed if a.action == t.action)
            doc = None
            if allowed.requires_document:
                doc = store.put_blob(
                    document_for(t, case_id, n), f"{t.action}-{n}.md", "text/markdown"
                )
            result = await act(
                client,
                case_id,
                ActionRequest(
                    action=t.action,
                    actor=allowed.actors[0],
                    document=doc,
                    note=f"{t.label_en} (walkthrough)",
                ),
            )
            # The Update returns once the case is in its new stage: no query needed to know
            # it. ``st`` is refreshed only for a caller who wants the whole status each step.
            if result.stage != t.dest:
                raise RuntimeError(f"{case_id}: {t.action} led to {result.stage}, not {t.dest}")
            stale = True
        if on_step is not None:
            if stale:
                st, stale = await status(client, case_id), False
            step = on_step(t, st)
            if step is not None:
                await step
    return await status(client, case_id) if stale else st
