"""What each unit of a deployment's work costs, for the capacity model (docs/capacity.md): a
case opened, a decision (the ``act`` Update and the activities it starts), a status query,
and an open case left idle. Each is measured in a window of its own, in CPU of the worker,
the Temporal server and the asking client, with the history events and bytes it adds.

    .venv/bin/python -m bench.unit_costs --cases 300 --json FILE     # ~4 min

One worker and one dev server (``localdev/devserver.py``, SQLite), as separate processes; the
cases are ``qd_ubnd_tinh@L2025_A87`` in the simplified procedure with real legal days, so no
deadline falls due while they are measured. Nothing in a window waits by polling the cases:
effects are counted as the files the worker's outbox writes, so a window's CPU is its unit's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from activities.filesystem_store import FilesystemDocumentStore
from bench import cancel_on_sigterm, report, run_benchmark
from bench.lifecycle import Bench, Cpu, cpu_now, log, who_runs
from client.cases import act, stage, status
from localdev.devserver import DevServer
from localdev.processes import WorkerProcess, until
from localdev.stand_in import stand_in_signer
from localdev.walkthrough import document_for, wait_for_action, wait_for_status
from models.case import ActionRequest, CaseStatus
from models.machine import shortest_path


def per_unit(before: Cpu, after: Cpu, n: int) -> dict[str, float]:
    return {
        "worker_cpu_ms": round(1000 * (after.worker - before.worker) / n, 3),
        "server_cpu_ms": round(1000 * (after.server - before.server) / n, 3),
        "client_cpu_ms": round(1000 * (after.driver - before.driver) / n, 3),
    }


async def gathered(n: int, one: Callable[[int], Awaitable[Any]], concurrency: int) -> list[Any]:
    gate = asyncio.Semaphore(concurrency)

    async def limited(i: int) -> Any:
        async with gate:
            return await one(i)

    return await asyncio.gather(*(limited(i) for i in range(n)))


async def run(args: argparse.Namespace) -> dict[str, Any]:
    cancel_on_sigterm()
    directory, definition, starter, simplified_by = who_runs(
        "qd_ubnd_tinh", "L2025_A87", simplified=True
    )
    root = Path(tempfile.mkdtemp(prefix="legisflow-unit-costs-"))
    server = DevServer(root / "server")
    server.start()
    client = await server.connect(signer=stand_in_signer())
    worker = WorkerProcess(server.address, "unit-costs", root / "worker")
    outbox = root / "worker" / "outbox"
    store = FilesystemDocumentStore(root / "documents")
    b = Bench(client, directory, definition, starter, simplified_by, 86400.0, store, worker, worker)
    first = shortest_path(definition, definition.initial, definition.final[0], True)[0]
    n = args.cases
    out: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench.unit_costs " + " ".join(sys.argv[1:]),
        "definition": definition.key,
        "cases": n,
        "decision": first.action,
        "machine": {"cpus": os.cpu_count(), "loadavg_at_start": os.getloadavg()},
    }

    def files() -> int:
        return len(list(outbox.glob("*.json"))) if outbox.is_dir() else 0

    async def effects_reach(count: int) -> None:
        async def done() -> bool:
            return files() >= count

        await until(f"{count} effects written", done, timeout=600, poll=0.2)

    async def events(case_id: str) -> tuple[int, int]:
        history = await client.get_workflow_handle(case_id).fetch_history()
        return len(history.events), sum(e.ByteSize() for e in history.events)

    try:
        worker.start()
        await worker.wait_polling(client)

        # Warm-up (imports, caches), and how many effect files a start and a decision write.
        warm = await gathered(10, lambda i: b.start_legisflow(f"warm-{i:03d}"), 10)
        for cid in warm:
            await wait_for_status(client, cid, settled(first.source), timeout=120)
        per_start = files() // len(warm)
        started_events = await events(warm[0])
        mark = files()
        requests = [await request_for(b, cid, first) for cid in warm]
        await gathered(len(warm), lambda i: act(client, warm[i], requests[i]), 10)
        for cid in warm:
            await wait_for_status(client, cid, settled(first.dest), timeout=120)
        per_decision = (files() - mark) // len(warm)

        # Idle server and worker, no case of this run open yet beyond the warm-up.
        before = cpu_now(worker, server)
        await asyncio.sleep(args.idle_seconds)
        out["idle_before"] = per_unit(before, cpu_now(worker, server), args.idle_seconds)

        # 1. Cases opened: start, first workflow task, the first stage's effects.
        mark = files()
        before = cpu_now(worker, server)
        t0 = time.perf_counter()
        ids = await gathered(n, lambda i: b.start_legisflow(f"case-{i:05d}"), args.concurrency)
        await effects_reach(mark + n * per_start)
        out["open"] = per_unit(before, cpu_now(worker, server), n) | {
            "per_second": round(n / (time.perf_counter() - t0), 1),
            "effect_files": per_start,
            "events": started_events[0],
            "history_bytes": started_events[1],
        }
        log(f"open: {out['open']}")

        # 2. Open cases left idle: what keeping them costs when nothing happens (after a
        #    pause, so the last starts' completions are not counted).
        await asyncio.sleep(5)
        before = cpu_now(worker, server)
        await asyncio.sleep(args.idle_seconds)
        out["idle_open"] = per_unit(before, cpu_now(worker, server), args.idle_seconds) | {
            "open_cases": n + len(warm),
            "seconds": args.idle_seconds,
        }
        log(f"idle with {n} open: {out['idle_open']}")

        # 3. Queries: the full status (what the workspace's case page shows) and the stage.
        for name, query in (("status_query", status), ("stage_query", stage)):
            before = cpu_now(worker, server)
            await gathered(n, lambda i, q=query: q(client, ids[i]), args.concurrency)  # type: ignore[misc]
            out[name] = per_unit(before, cpu_now(worker, server), n)
            log(f"{name}: {out[name]}")

        # 4. Decisions: one ``act`` each (prepared before the window), until its effects are
        #    written. Each starts the activities of the stage it leads to.
        requests = [await request_for(b, cid, first) for cid in ids]
        mark = files()
        e0 = await events(ids[0])
        before = cpu_now(worker, server)
        t0 = time.perf_counter()
        await gathered(n, lambda i: act(client, ids[i], requests[i]), args.concurrency)
        await effects_reach(mark + n * per_decision)
        out["decision"] = per_unit(before, cpu_now(worker, server), n) | {
            "per_second": round(n / (time.perf_counter() - t0), 1),
            "effect_files": per_decision,
        }
        e1 = await events(ids[0])
        history = await client.get_workflow_handle(ids[0]).fetch_history()
        activities = sum(
            1
            for e in history.events[e0[0] :]
            if e.HasField("activity_task_scheduled_event_attributes")
        )
        out["decision"] |= {
            "events": e1[0] - e0[0],
            "history_bytes": e1[1] - e0[1],
            "activities": activities,
        }
        log(f"decision: {out['decision']}")
        out["machine"]["loadavg_at_end"] = os.getloadavg()
        return out
    finally:
        worker.stop()
        server.stop()


async def request_for(b: Bench, case_id: str, t: Any) -> ActionRequest:
    may = await wait_for_action(b.client, case_id, t.action, timeout=120)
    doc = None
    if may.requires_document:
        doc = b.store.put_blob(document_for(t, case_id, 1), f"{t.action}.md", "text/markdown")
    return ActionRequest(
        declare_no_interest=True, action=t.action, actor=may.actors[0], document=doc
    )


def settled(stage_name: str) -> Callable[[CaseStatus], bool]:
    """The case is in ``stage_name`` with every effect carried out."""
    return lambda s: s.stage == stage_name and s.pending_effects == 0


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--cases", type=int, default=300)
    p.add_argument("--concurrency", type=int, default=20)
    p.add_argument("--idle-seconds", type=int, default=30)
    p.add_argument("--json", type=Path)
    return p.parse_args(argv)


def main() -> None:
    args = parse(sys.argv[1:])
    report(run_benchmark(run(args)), args.json)


if __name__ == "__main__":
    main()
