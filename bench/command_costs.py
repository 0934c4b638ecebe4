"""What each kind of Temporal command legisflow adds costs a bare lifecycle (bench/README.md, P7).

    .venv/bin/python -m bench.command_costs --rounds 3

Runs one legisflow lifecycle to read its plan (``lifecycle.plan_from``), then ``bench/bare.py``
lifecycles with nothing added, with only legisflow's search-attribute upserts, only the
deadline timers its Updates cancel, only its patch marker, and all three
(``bare_same_commands``), rounds alternating; prints lifecycles/s per round and the cost of
each against plain bare (best rounds). Legisflow itself is not measured here: that is
``bench.lifecycle``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from activities.filesystem_store import FilesystemDocumentStore
from bench import cancel_on_sigterm, run_benchmark
from bench.bare import BarePlan
from bench.lifecycle import Bench, log, plan_from, throughput, who_runs
from localdev.devserver import DevServer
from localdev.processes import WorkerProcess
from localdev.stand_in import stand_in_signer


def variants(history_plan: BarePlan, full: BarePlan) -> dict[str, BarePlan]:
    """Plain bare, then bare with one kind of legisflow's extra commands, then all of them."""
    return {
        "bare": history_plan,
        "upserts": history_plan.model_copy(
            update={"start_upserts": full.start_upserts, "step_upserts": full.step_upserts}
        ),
        "timers": history_plan.model_copy(update={"timers": full.timers}),
        "marker": history_plan.model_copy(update={"markers": full.markers}),
        "all": full,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    cancel_on_sigterm()
    directory, definition, starter, simplified_by = who_runs(
        args.type, args.regime, simplified=True
    )
    root = Path(tempfile.mkdtemp(prefix="legisflow-command-costs-"))
    server = DevServer(root / "server")
    server.start()
    client = await server.connect(signer=stand_in_signer())
    lf = WorkerProcess(server.address, "costs-legisflow", root / "legisflow")
    bare_dir = root / "bare"
    bare = WorkerProcess(
        server.address,
        "costs-bare",
        bare_dir,
        command=[sys.executable, "-m", "bench.bare", server.address, "costs-bare", str(bare_dir)],
    )
    try:
        for w in (lf, bare):
            w.start()
            await w.wait_polling(client)
        store = FilesystemDocumentStore(root / "documents")
        b = Bench(client, directory, definition, starter, simplified_by, 86400.0, store, lf, bare)
        history = await client.get_workflow_handle(await b.legisflow_life("ref")).fetch_history()
        plans = variants(plan_from(history), plan_from(history, commands=True))
        rates: dict[str, list[float]] = {name: [] for name in plans}
        for r in range(args.rounds):
            for name, plan in plans.items():
                side = dataclasses.replace(b, plan=plan)
                out = await throughput(
                    f"{name} round {r + 1}",
                    side.bare_life,
                    bare,
                    server,
                    args.lifecycles,
                    args.concurrency,
                    f"{name}-{r}-{time.time_ns()}",
                )
                rates[name].append(out["per_second"])
        best = {name: max(v) for name, v in rates.items()}
        return {
            "command": "python -m bench.command_costs " + " ".join(sys.argv[1:]),
            "plan": plans["all"].model_dump(),
            "per_second": rates,
            "cost_vs_bare": {
                name: round(1 - best[name] / best["bare"], 3) for name in plans if name != "bare"
            },
        }
    finally:
        for w in (lf, bare):
            w.stop()
        server.stop()


def main() -> None:
    logging.getLogger("transitions").setLevel(logging.WARNING)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--lifecycles", type=int, default=60, help="per variant and round")
    p.add_argument("--concurrency", type=int, default=20)
    p.add_argument("--type", default="qd_ubnd_tinh")
    p.add_argument("--regime", default="L2025_A87")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()
    results = run_benchmark(run(args))
    text = json.dumps(results, indent=2)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    log("done")
    print(text, flush=True)
    sys.stdout.flush()
    os._exit(0)  # sdk-python#300


if __name__ == "__main__":
    main()
