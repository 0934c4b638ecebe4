"""The crash proof at scale: many cases while the worker process is SIGKILLed repeatedly.

    .venv/bin/python -m bench.crash --cases 200            # defaults: 5 kills, seed 1
    .venv/bin/python -m bench.crash --cases 200 --kills 8 --seed 7 --variants 4

Same machinery and checks as tests/workflows/test_durability.py (tests/workflows/durability.py):
one uninterrupted reference run per (definition, procedure) the directory can staff, then
``--cases`` cases cycling through them, driven by the walkthrough from this process while a
separate ``legisflow worker`` process is killed with SIGKILL at seeded random points and
replaced. Every case must end with the reference's path, and the data directory must hold
each document version, notification and publication exactly once. Exit status 1 on any
problem; the working directory is kept (``--keep`` keeps it in any case) with the server's
SQLite file, the worker log and the histories of unfinished cases.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import cancel_on_sigterm, run_benchmark
from models.actors import load_directory
from models.registry import load_registry
from tests.workflows.durability import (
    cluster,
    interrupted_run,
    run_references,
    spread,
    staffed_variants,
)


def _log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)


async def main(args: argparse.Namespace) -> int:
    cancel_on_sigterm()
    registry, directory = load_registry(), load_directory()
    variants = spread(staffed_variants(registry, directory), args.variants)
    root = Path(tempfile.mkdtemp(prefix="legisflow-crash-"))
    _log(f"working directory {root}; {len(variants)} variants; seed {args.seed}")
    rng = random.Random(args.seed)
    ok = False
    try:
        async with cluster(root, directory, log=_log) as c:
            reference = await run_references(c, variants)

            async def kill() -> str:
                generation = c.worker.generation
                await c.restart_worker(kill=True)
                return f"SIGKILL worker #{generation}"

            report = await interrupted_run(
                c,
                reference,
                variants,
                scenario="crash",
                cases=args.cases,
                # Spread over the whole run (the test clusters them early to stay short).
                at_fractions=sorted(rng.uniform(0.02, 0.9) for _ in range(args.kills)),
                interrupt=kill,
                seed=args.seed,
                step_timeout=args.step_timeout,
                total_timeout=args.total_timeout,
                concurrency=args.concurrency,
            )
        for problem in report.problems:
            _log(f"PROBLEM {problem}")
        _log(f"throughput {args.cases / report.seconds:.2f} cases/s with {args.kills} kills")
        ok = not report.problems
    finally:
        if ok and not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            _log(f"kept {root}")
    return 0 if ok else 1


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--cases", type=int, default=200)
    p.add_argument("--kills", type=int, default=5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--variants", type=int, default=None, help="at most this many (default: every one)"
    )
    p.add_argument(
        "--concurrency", type=int, default=50, help="cases driven at once (all are open)"
    )
    p.add_argument("--step-timeout", type=float, default=90.0)
    p.add_argument("--total-timeout", type=float, default=900.0)
    p.add_argument("--keep", action="store_true", help="keep the working directory")
    return p.parse_args(argv)


if __name__ == "__main__":
    logging.getLogger("transitions").setLevel(logging.WARNING)
    code = run_benchmark(main(parse(sys.argv[1:])))
    sys.stdout.flush()
    os._exit(code)  # sdk-python#300
