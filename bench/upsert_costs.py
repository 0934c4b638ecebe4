"""What one search-attribute upsert costs the dev server, measured in isolation (bench/README.md,
P9): ``--workflows`` workflows each take ``--steps`` steps of one timer (one workflow task),
with or without upserting ``LegalStage`` in each step, in turns; the server's CPU per step,
and the difference.

    .venv/bin/python -m bench.upsert_costs

legisflow upserts ``LegalStage`` (and ``StageDueAt`` when it changes, in the same command) at
each stage it enters: 13 times in the lifecycle ``bench.lifecycle`` measures. Each upsert is a
history event and a visibility write. ``bench.command_costs`` shows what they cost a whole
lifecycle; this isolates one.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio import workflow
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():  # the driver's side, not the workflow's
    from bench import cancel_on_sigterm, report, run_benchmark
    from tests.workflows.durability import DevServer, process_cpu_seconds

STAGE = SearchAttributeKey.for_keyword("LegalStage")


@workflow.defn
class StepLoop:
    """``steps`` workflow tasks, each after a timer, each upserting ``LegalStage`` or not."""

    @workflow.run
    async def run(self, steps: int, upsert: bool) -> int:
        for i in range(steps):
            if upsert:
                workflow.upsert_search_attributes([STAGE.value_set(f"stage-{i}")])
            await workflow.sleep(timedelta(seconds=1))
        return steps


async def one_round(
    client: Client, server: DevServer, upsert: bool, workflows: int, steps: int, tag: str
) -> float:
    """Server CPU per step, in ms."""
    assert server.proc is not None
    before = process_cpu_seconds(server.proc.pid)
    handles = [
        await client.start_workflow(
            StepLoop.run, args=[steps, upsert], id=f"{tag}-{i}", task_queue="bench-upserts"
        )
        for i in range(workflows)
    ]
    for h in handles:
        await h.result()
    return 1000 * (process_cpu_seconds(server.proc.pid) - before) / (workflows * steps)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    cancel_on_sigterm()
    server = DevServer(Path(tempfile.mkdtemp(prefix="legisflow-upsert-costs-")) / "server")
    server.start()
    try:
        client = await server.connect()
        per_step: dict[str, list[float]] = {"timer_only": [], "timer_and_upsert": []}
        async with Worker(client, task_queue="bench-upserts", workflows=[StepLoop]):
            for rep in range(args.reps):
                for name, upsert in (("timer_only", False), ("timer_and_upsert", True)):
                    ms = await one_round(
                        client, server, upsert, args.workflows, args.steps, f"{name}-{rep}"
                    )
                    per_step[name].append(ms)
                    print(
                        f"{time.strftime('%H:%M:%S')} rep {rep + 1} {name}: {ms:.2f} ms", flush=True
                    )
        pairs = zip(per_step["timer_and_upsert"], per_step["timer_only"], strict=True)
        extra = [u - t for u, t in pairs]
        return {
            "server_cpu_ms_per_step": per_step,
            "upsert_extra_ms": {
                "median": round(statistics.median(extra), 2),
                "each": [round(x, 2) for x in extra],
            },
            "workflows": args.workflows,
            "steps": args.steps,
        }
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--workflows", type=int, default=20)
    p.add_argument("--steps", type=int, default=30, help="per workflow (one second each)")
    p.add_argument("--reps", type=int, default=4)
    p.add_argument("--json", type=Path, help="write the results here")
    args = p.parse_args(argv)
    report(run_benchmark(run(args)), args.json)


if __name__ == "__main__":
    main()
