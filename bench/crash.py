"""The crash proof at scale: many cases while the worker process is SIGKILLed repeatedly.

    .venv/bin/python -m bench.crash --cases 200            # defaults: 5 kills, seed 1
    .venv/bin/python -m bench.crash --cases 200 --kills 8 --seed 7 --variants 4

It is the suite's proof (``tests/workflows/test_durability.py``,
``test_sigkilled_workers_lose_and_duplicate_nothing``) with more cases and kills, run through
pytest with the sizes in ``LEGISFLOW_DURABILITY_*``: one uninterrupted reference run per
(definition, procedure) the directory can staff, then ``--cases`` cases cycling through them,
driven by the walkthrough while a separate ``legisflow worker`` process is killed with SIGKILL
at seeded random points along the whole run and replaced. Every case must end with the
reference's path, and the data directory must hold each document version, notification and
publication exactly once. The exit status is pytest's; the report (stalls, retries, events
lost and retried) is in the log it prints.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

TEST = "tests/workflows/test_durability.py::test_sigkilled_workers_lose_and_duplicate_nothing"


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--cases", type=int, default=200)
    p.add_argument("--kills", type=int, default=5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--variants", type=int, default=0, help="at most this many (0: every one)")
    p.add_argument("--concurrency", type=int, default=50, help="cases driven at once")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    env = {
        **os.environ,
        "LEGISFLOW_DURABILITY_CASES": str(args.cases),
        "LEGISFLOW_DURABILITY_KILLS": str(args.kills),
        "LEGISFLOW_DURABILITY_SEED": str(args.seed),
        "LEGISFLOW_DURABILITY_VARIANTS": str(args.variants),
        "LEGISFLOW_DURABILITY_CONCURRENCY": str(args.concurrency),
        # Kills all along the run, not only early as in the suite.
        "LEGISFLOW_DURABILITY_KILL_WITHIN": "0.9",
    }
    command = [sys.executable, "-m", "pytest", TEST, "-q", "-p", "no:cacheprovider"]
    command += ["-o", "log_cli=true", "--log-cli-level=INFO"]
    return subprocess.run(command, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
