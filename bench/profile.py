"""Summarise a py-spy raw profile (``py-spy record --format raw``) of a worker process.

    .venv/bin/python -m bench.profile bench/results/profile/legisflow-worker.txt
    .venv/bin/python -m bench.profile bench/results/profile/*-worker.txt --lifecycles 60

``bench.lifecycle --profile DIR`` records one file per worker during the first throughput
round (200 samples a second). Idle samples (threads waiting in epoll, queues and locks) are
left out; the rest is split into what costs what, in milliseconds of sampled Python time
per lifecycle (inclusive: a sample counts for every line whose pattern its stack matches),
then the top functions by inclusive share.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

IDLE = re.compile(
    r"\(selectors\.py|\(threading\.py:\d+\)$|_worker \(concurrent/futures/thread\.py:8[13]\)"
    r"|wait \(threading|select \(selectors"
)

#: What costs what: (label, pattern searched in the whole stack).
BREAKDOWN = [
    ("workflow activations (tasks and queries)", r"_RunningWorkflow\.activate"),
    ("  new workflow instance (sandbox re-import)", r"_Instance\.__init__"),
    ("  query handlers", r"_apply_query_workflow"),
    ("    LegislativeProcess.status", r"LegislativeProcess\.status "),
    ("  act Update (validator + handler)", r"LegislativeProcess\.(act|_validate_act) "),
    ("    of which stage entry (_enter_stage)", r"LegislativeProcess\._enter_stage"),
    ("  main loop (effects, timers)", r"LegislativeProcess\.run "),
    ("  monitoring child", r"workflows/monitoring\.py"),
    (
        "payload encode/decode (converter, visitor)",
        r"encode_completion|decode_activation|_visitor\.py",
    ),
    ("activities (all)", r"_execute_sync_activity|_execute_activity"),
    ("  file writes with fsync", r"write_file_exclusive|bare_effect"),
    ("  YAML parsing (directory, rules)", r"yaml/"),
    ("  send_notification", r"\.send_notification "),
    ("  record_document_version", r"\.record_document_version "),
    ("  resolve_post_issuance_people", r"resolve_post_issuance_people"),
    ("pydantic (anywhere)", r"pydantic"),
    ("legal calendar and time", r"models/(calendar|legal_time)\.py"),
    ("rules (check_action, allowed_actions)", r"models/rules\.py"),
]


def summarise(path: Path, top: int, lifecycles: int | None, rate: int) -> str:
    matched: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        if IDLE.search(frames[-1]):
            continue
        n = int(count)
        total += n
        for label, pattern in BREAKDOWN:
            if re.search(pattern, stack):
                matched[label] += n
        for f in {re.sub(r":\d+\)$", ")", f) for f in frames}:
            inclusive[f] += n
    total = max(total, 1)

    def cost(n: int) -> str:
        share = f"{100 * n / total:5.1f}%"
        if lifecycles:
            return f"{1000 * n / rate / lifecycles:7.1f} ms/lifecycle {share}"
        return share

    lines = [f"{path}: {total} busy samples ({cost(total).strip()})", ""]
    lines += [f"  {cost(matched[label])}  {label}" for label, _ in BREAKDOWN]
    if top:
        lines += ["", f"top {top} functions, inclusive:"]
    lines += [
        f"  {100 * n / total:5.1f}%  {f[:140]}"
        for f, n in inclusive.most_common(top + 30)
        if not re.search(r"asyncio/|threading\.py|typer|click|cli\.py|<module>|runpy|^$", f)
    ][:top]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("profiles", type=Path, nargs="+")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--lifecycles", type=int, default=None, help="to report ms per lifecycle")
    p.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    args = p.parse_args()
    for path in args.profiles:
        print(summarise(path, args.top, args.lifecycles, args.rate))
        print()


if __name__ == "__main__":
    main()
