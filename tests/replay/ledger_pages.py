"""The paged comment ledger scenario, shared by its test and the history recorder.

A ledger with pages of 7 comments and runs of 150 events takes 400 submissions of 90
distinct texts, 8 at a time, with dispositions (some given again) mixed in, so comments,
repeats and dispositions keep arriving while it writes pages and continues as new. The
recorder keeps the history of a middle run (``CommentLedger@pages.json``): it starts from a
paged state and ends writing pages before continuing as new.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from pathlib import Path

from temporalio.client import Client, WorkflowHandle, WorkflowHistory

from activities.ports import DocumentStore
from client.updates import send_update
from models.choices import Disposition
from models.comments import (
    CommentReceipt,
    CommentRequest,
    CommentSummary,
    DispositionRequest,
    LedgerState,
    text_hash,
)
from workflows.drafting.comment_ledger import CommentLedger, LedgerInput

KEY = "ledger-pages"
DRAFTER = "nguyen.van.an"
Ledger = WorkflowHandle[CommentLedger, CommentSummary]


async def start_ledger(
    client: Client,
    task_queue: str,
    *,
    page_size: int,
    events: int,
    state: LedgerState | None = None,
) -> Ledger:
    ledger_id = f"ledger-{uuid.uuid4().hex[:8]}"
    return await client.start_workflow(
        CommentLedger.run,
        LedgerInput(
            case_id="no-such-case",  # the ledger's signals to its case fail quietly
            ledger_id=ledger_id,
            drafters=[DRAFTER],
            continue_after_events=events,
            state=(state or LedgerState()).model_copy(update={"page_size": page_size}),
        ),
        id=ledger_id,
        task_queue=task_queue,
    )


async def submit(store: DocumentStore, ledger: Ledger, i: int) -> str:
    text = f"Góp ý {i % 90}"  # 90 distinct texts: every later submission repeats one
    source = "VCCI" if i % 3 == 0 else "public"
    body = store.put_blob(f"{i}:{text}".encode(), "gop-y.json")
    req = CommentRequest(
        author=f"A{i}",
        source=source,
        text_sha256=text_hash(text),
        chars=len(text),
        body=body,
        submission_id=uuid.uuid4().hex,
    )
    # As the client does: an Update aborted by a continue-as-new is sent again.
    receipt: CommentReceipt = await send_update(
        ledger, CommentLedger.comment, req, update_id=req.submission_id, idempotent=True
    )
    return receipt.comment_id


async def busy_ledger(
    client: Client, store: DocumentStore, task_queue: str, *, seed: int = 7
) -> tuple[Ledger, dict[str, Disposition]]:
    """Run the scenario; returns the ledger and the last disposition sent per comment."""
    ledger = await start_ledger(client, task_queue, page_size=7, events=150)
    rng = random.Random(seed)
    expected: dict[str, Disposition] = {}
    sem = asyncio.Semaphore(8)

    # Two dispositions of one comment are sent one after the other, so "the last one sent"
    # is well defined (sent concurrently, either may land last).
    locks: dict[str, asyncio.Lock] = {}

    async def one(i: int) -> None:
        async with sem:
            cid = await submit(store, ledger, i)
            if rng.random() < 0.4:  # dispose of it (again, if already disposed)
                disposition = rng.choice(list(Disposition))
                await dispose_in_turn(locks.setdefault(cid, asyncio.Lock()), cid, disposition, i)

    async def dispose_in_turn(
        lock: asyncio.Lock, cid: str, disposition: Disposition, i: int
    ) -> None:
        req = DispositionRequest(
            declare_no_interest=True,
            comment_id=cid,
            disposition=disposition,
            actor=DRAFTER,
            reason=None if disposition is Disposition.ACCEPTED else f"vì {i}",
        )
        async with lock:
            expected[cid] = disposition
            await send_update(ledger, CommentLedger.dispose, req, idempotent=True)

    await asyncio.gather(*(one(i) for i in range(400)))
    return ledger, expected


async def all_runs(client: Client, workflow_id: str) -> list[WorkflowHistory]:
    """Every run's history, oldest first."""
    runs = [wf async for wf in client.list_workflows(f"WorkflowId = '{workflow_id}'")]
    runs.sort(key=lambda wf: wf.start_time)
    return [
        await client.get_workflow_handle(wf.id, run_id=wf.run_id).fetch_history() for wf in runs
    ]


async def record_ledger_pages(
    client: Client, store: DocumentStore, *, task_queue: str, histories: Path
) -> list[Path]:
    ledger, _ = await busy_ledger(client, store, task_queue)
    runs = await all_runs(client, ledger.id)
    assert len(runs) >= 3, f"expected several runs, got {len(runs)}"
    path = histories / "CommentLedger@pages.json"
    path.write_text(runs[1].to_json() + "\n", encoding="utf-8")
    print(f"recorded {path.name}: {len(runs[1].events)} events")
    return [path]
