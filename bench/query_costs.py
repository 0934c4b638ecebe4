"""What one query of each kind costs, in CPU of the worker, the server and the asking client
(bench/README.md, P9): one idle case, ``--queries`` of each kind in turn, ``--reps`` times.

    .venv/bin/python -m bench.query_costs

``walk`` (the demo, the tests, ``bench.lifecycle``) polls while it waits for effects, for an
action to become possible and for automatic transitions: about 35 queries per lifecycle. Which
query it polls with is therefore part of what a lifecycle costs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from activities.filesystem_store import FilesystemDocumentStore
from bench import cancel_on_sigterm, report, run_benchmark
from bench.lifecycle import Bench, cpu_now, log, who_runs
from client.cases import allowed, stage, status
from localdev.devserver import DevServer
from localdev.processes import WorkerProcess
from localdev.stand_in import stand_in_signer


async def run(args: argparse.Namespace) -> dict[str, Any]:
    cancel_on_sigterm()
    directory, definition, starter, simplified_by = who_runs(
        args.type, args.regime, simplified=True
    )
    root = Path(tempfile.mkdtemp(prefix="legisflow-query-costs-"))
    server = DevServer(root / "server")
    server.start()
    worker = WorkerProcess(server.address, "bench-queries", root / "worker")
    try:
        client = await server.connect(signer=stand_in_signer())
        worker.start()
        await worker.wait_polling(client)
        bench = Bench(
            client=client,
            directory=directory,
            definition=definition,
            starter=starter,
            simplified_by=simplified_by,
            legal_day=86400.0,
            legisflow=worker,
            bare=worker,
            store=FilesystemDocumentStore(root / "documents"),
        )
        cid = await bench.start_legisflow("queried")
        kinds: dict[str, Callable[[], Awaitable[Any]]] = {
            "status": lambda: status(client, cid),
            "stage": lambda: stage(client, cid),
            "allowed": lambda: allowed(client, cid),
        }
        per_rep: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
        for rep in range(args.reps):
            for name, ask in kinds.items():
                before, t0 = cpu_now(worker, server), time.perf_counter()
                for _ in range(args.queries):
                    await ask()
                after, t1 = cpu_now(worker, server), time.perf_counter()
                n = args.queries
                per_rep[name].append(
                    {
                        "wall_ms": 1000 * (t1 - t0) / n,
                        "worker_ms": 1000 * (after.worker - before.worker) / n,
                        "server_ms": 1000 * (after.server - before.server) / n,
                        "client_ms": 1000 * (after.driver - before.driver) / n,
                    }
                )
            log(f"rep {rep + 1}: " + ", ".join(f"{k} {v[-1]}" for k, v in per_rep.items()))
        result: dict[str, Any] = {"queries_per_kind_and_rep": args.queries, "reps": args.reps}
        for name, reps in per_rep.items():
            medians = {k: round(statistics.median(r[k] for r in reps), 2) for k in reps[0]}
            medians["cpu_ms"] = round(
                statistics.median(r["worker_ms"] + r["server_ms"] + r["client_ms"] for r in reps),
                2,
            )
            result[name] = medians
        return result
    finally:
        worker.stop()
        server.stop()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--queries", type=int, default=400, help="per kind and rep")
    p.add_argument("--reps", type=int, default=6)
    p.add_argument("--type", default="qd_ubnd_tinh")
    p.add_argument("--regime", default="L2025_A87")
    p.add_argument("--json", type=Path, help="write the results here")
    args = p.parse_args(argv)
    report(run_benchmark(run(args)), args.json)


if __name__ == "__main__":
    main()
