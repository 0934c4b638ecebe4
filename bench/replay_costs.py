"""What the worker's runner saves on each workflow activation (bench/README.md, P8), without a
server: committed histories replayed in this process, the SDK's sandbox runner and
legisflow's ``CaseRunner`` taking turns, so a shared box's drift falls on both alike.

    .venv/bin/python -m bench.replay_costs                    # the bench's lifecycle and two more
    .venv/bin/python -m bench.replay_costs --replays 40 tests/replay/histories/thong_tu@L2025.json

A replay runs the same activations, payload conversion and sandbox re-import a worker runs for
a case it starts or rebuilds, so its time is the workflow side of a worker's CPU. Reported per
history: warm replay time (median of ``--replays`` per runner, after one warm-up each), and how
often each runner asked the sandbox for a payload context during one replay. Run ``make
bytecode`` first; without bytecode both runners also compile ``workflows/`` on every replay.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from bench import run_benchmark
from localdev.counting_runner import CountingRunner
from worker import WORKFLOWS
from worker_runtime.runner import CaseRunner

#: The committed replay histories (data read from the test suite's folder, not its code).
HISTORIES = Path(__file__).resolve().parents[1] / "tests" / "replay" / "histories"
DEFAULT_HISTORIES = [
    HISTORIES / "qd_ubnd_tinh@L2025_A87.json",
    HISTORIES / "thong_tu@L2025_A87.json",
    HISTORIES / "nq_hdnd_tinh@L2015.json",
]


def _replayer(runner: WorkflowRunner) -> Replayer:
    return Replayer(
        workflows=WORKFLOWS, data_converter=pydantic_data_converter, workflow_runner=runner
    )


async def _asked(history: WorkflowHistory, runner_with: Any) -> int:
    """Payload contexts asked of the sandbox in one replay with the runner ``runner_with``
    builds around a counting sandbox."""
    counting = CountingRunner()
    result = await _replayer(runner_with(counting)).replay_workflow(
        history, raise_on_replay_failure=False
    )
    assert result.replay_failure is None, result.replay_failure
    return counting.asked


async def measure(path: Path, replays: int) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")  # noqa: ASYNC240 - a small local file
    history = WorkflowHistory.from_json(path.stem, text)
    runners: dict[str, WorkflowRunner] = {
        "sdk_sandbox": SandboxedWorkflowRunner(),
        "case_runner": CaseRunner(pydantic_data_converter),
    }
    replayers = {name: _replayer(r) for name, r in runners.items()}
    times: dict[str, list[float]] = {name: [] for name in runners}
    for replayer in replayers.values():
        await replayer.replay_workflow(history)  # warm-up: first imports, caches
    for _ in range(replays):
        for name, replayer in replayers.items():
            t0 = time.perf_counter()
            await replayer.replay_workflow(history)
            times[name].append(time.perf_counter() - t0)
    medians = {name: statistics.median(t) * 1000 for name, t in times.items()}
    return {
        "history": path.name,
        "events": len(history.events),
        "warm_replay_ms": {name: round(v, 1) for name, v in medians.items()},
        "saved": f"{100 * (1 - medians['case_runner'] / medians['sdk_sandbox']):.0f} %",
        "contexts_asked_of_the_sandbox": {
            "sdk_sandbox": await _asked(history, lambda counting: counting),
            "case_runner": await _asked(
                history,
                lambda counting: CaseRunner(pydantic_data_converter, inner=counting),
            ),
        },
    }


async def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    results = []
    for path in args.histories or DEFAULT_HISTORIES:
        r = await measure(path, args.replays)
        print(json.dumps(r, ensure_ascii=False), flush=True)
        results.append(r)
    return results


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("histories", nargs="*", type=Path, help="default: three committed lifecycles")
    p.add_argument("--replays", type=int, default=20, help="per runner and history")
    p.add_argument("--json", type=Path, help="write the results here")
    args = p.parse_args(argv)
    results = run_benchmark(run(args))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
