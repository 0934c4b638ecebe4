"""The fleet proof at scale (issue #21): worker hosts in their own network namespaces.

    .venv/bin/python -m bench.fleet --hosts 3 --cases 300 --json FILE   # as root
    .venv/bin/python -m bench.fleet --hosts 4 --cases 400 --day 0.1 --restart-killed

It is the suite's fleet proof (``tests/workflows/test_fleet.py``,
``test_a_fleet_across_namespaces_loses_and_duplicates_nothing``) with more hosts and cases,
run through pytest with the sizes in ``LEGISFLOW_FLEET_*``: one dev server in the root
namespace, ``--hosts`` ``legisflow worker`` processes each in its own network namespace
(``localdev/netns.py``: a veth pair per host, all torn down afterwards, after a failure
too), reaching it over their links and sharing one data directory. ``--cases`` cases
cycling through every (definition, procedure) variant the directory can staff are started
at once and walked to their end, ``--concurrency`` at a time; host 1's link is cut
(``ip link set … down``: packets dropped, nothing closed) for ``--cut-seconds`` at least
and restored, and host 2 is SIGKILLed (``--restart-killed`` starts it again). Every case
must end as the uninterrupted run of its variant did; the outbox, the document store and
the publications must hold each notification, version and posting once; no workflow task
may fail on nondeterminism (every history on the server is read). The report (counts, the
timeline, what each host did in each phase, tasks lost and retried) is logged and, with
``--json``, written. The exit status is pytest's. Needs root and iproute2.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys

TEST = "tests/workflows/test_fleet.py::test_a_fleet_across_namespaces_loses_and_duplicates_nothing"


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--hosts", type=int, default=3, help="worker hosts (3 or more)")
    p.add_argument("--cases", type=int, default=300)
    p.add_argument("--day", type=float, default=0.05, help="seconds per legal day")
    p.add_argument(
        "--cut-seconds",
        type=float,
        default=60.0,
        help="host 1's link stays cut at least this long (past the SDK's 45 s keep-alive)",
    )
    p.add_argument("--concurrency", type=int, default=50, help="cases driven at once")
    p.add_argument("--variants", type=int, default=0, help="at most this many (0: every one)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--restart-killed", action="store_true", help="start host 2 again")
    p.add_argument("--json", default=None, help="write the report here")
    p.add_argument(
        "--timeout", type=int, default=5400, help="pytest-timeout for the run (a hang guard)"
    )
    args = p.parse_args(argv)
    if args.hosts < 3:
        p.error("--hosts: host 1 is cut, host 2 killed, and at least one more carries on")
    return args


def main(argv: list[str]) -> int:
    args = parse(argv)
    env = {
        **os.environ,
        "LEGISFLOW_FLEET_HOSTS": str(args.hosts),
        "LEGISFLOW_FLEET_CASES": str(args.cases),
        "LEGISFLOW_FLEET_DAY": str(args.day),
        "LEGISFLOW_FLEET_CUT_SECONDS": str(args.cut_seconds),
        "LEGISFLOW_FLEET_CONCURRENCY": str(args.concurrency),
        "LEGISFLOW_FLEET_VARIANTS": str(args.variants),
        "LEGISFLOW_FLEET_SEED": str(args.seed),
        "LEGISFLOW_FLEET_RESTART": "1" if args.restart_killed else "0",
        "LEGISFLOW_FLEET_COMMAND": shlex.join(["python", "-m", "bench.fleet", *argv]),
    }
    if args.json:
        env["LEGISFLOW_FLEET_JSON"] = os.path.abspath(args.json)
    command = [sys.executable, "-m", "pytest", TEST, "-q", "-p", "no:cacheprovider"]
    command += ["-o", "log_cli=true", "--log-cli-level=INFO", f"--timeout={args.timeout}"]
    return subprocess.run(command, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
