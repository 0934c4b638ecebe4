"""The public portal's comment intake under sustained load, measured from outside (HTTP).

    .venv/bin/python -m bench.portal_comments [--database sqlite|postgresql] [--seconds 30]
        [--concurrency 32] [--workers 2] [--json PATH]

Starts what it needs itself: a dev server (the portal connects to Temporal at start), a
PostgreSQL on loopback if asked (``localdev/postgres.py``, synced at every commit), one
consultation's intake, and ``legisflow portal`` as its own uvicorn process(es)
(``--workers``: LEGISFLOW_PORTAL_WORKERS) with the per-address limit out of the way. Then
``--concurrency`` clients POST the comment form as fast as it answers, for ``--seconds``
after a warm-up, every comment from its own contact with its own text. Reports comments per
second, p50/p95/p99 latency, errors, the CPU each side spent per comment, and checks
afterwards that the database counts exactly one comment per receipt (``counts()``), that
every receipt's code is distinct, and that a sample of codes finds its comment; it exits
non-zero otherwise. Target (issue #19): ≥ 300 comments/s with p95 ≤ 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from bench import cancel_on_sigterm, report, run_benchmark
from bench.consultation import open_consultation
from localdev.devserver import DevServer, free_port
from localdev.portal_process import PortalProcess, portal_env
from localdev.processes import process_cpu_seconds
from models.public_consultation import IntakeOpening, SpeaksFor
from public_records.comments import PublicComments

#: The receipt page's tracking code.
CODE = re.compile(r'data-tracking-code="([A-Z0-9-]+)"')
#: The issue's target.
TARGET_PER_S, TARGET_P95_MS = 300.0, 200.0
GROUPS = [g.value for g in SpeaksFor]


def form(run: str, i: int) -> dict[str, str]:
    """The ``i``-th citizen's comment: their own contact and text (about 300 characters, as
    a short comment on one article is)."""
    return {
        "name": f"Người góp ý số {i}",
        "contact": f"nguoi{i}.{run}@example.vn",
        "text": (
            f"Góp ý số {i} ({run}): đề nghị sửa khoản {i % 7 + 1} Điều {i % 12 + 1} cho rõ "
            "nghĩa, quy định cụ thể thời hạn giải quyết thủ tục và cơ quan chịu trách nhiệm "
            "trả lời người dân; bổ sung quy định chuyển tiếp cho các hồ sơ đã nộp trước ngày "
            "Quyết định có hiệu lực, để người dân và doanh nghiệp không phải nộp lại."
        ),
        "article": str(i % 13),
        "speaks_for": GROUPS[i % len(GROUPS)],
        "consent": "yes",
        "website": "",
    }


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of ``pid`` and its children (uvicorn's worker processes), those alive."""
    total = 0.0
    for child in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{child}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if int(child) == pid or ppid == pid:
            with contextlib.suppress(OSError):
                total += process_cpu_seconds(int(child))
    return total


def postgres_pid(url: str) -> int | None:
    """The PostgreSQL server listening on ``url``'s port (its backends are its children)."""
    port = url.rsplit(":", 1)[1].split("/", 1)[0]
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if args[0].endswith(b"/postgres") and f"-p {port} ".encode() in b" ".join(args):
            return int(pid)
    return None


class Load:
    """What the clients saw."""

    def __init__(self) -> None:
        self.latencies_ms: list[float] = []
        self.codes: list[str] = []
        self.groups: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        self.sent = 0
        #: Loop times: the clients start; the last answer arrives.
        self.started = self.finished = 0.0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


async def submit_for(
    http: httpx.AsyncClient,
    path: str,
    run: str,
    next_i: Iterator[int],
    start: float,
    seconds: float,
    rate: float | None,
    load: Load,
) -> None:
    """One client, until ``seconds`` after ``start`` (loop time): submits comments back to
    back, or, at a ``rate`` shared by all the clients, each at its due time. A comment's
    latency then counts from its due time, so one that waited for a client counts its
    wait (no coordinated omission)."""
    loop = asyncio.get_running_loop()
    while True:
        i = next(next_i)
        if rate is None:
            if loop.time() >= start + seconds:
                return
            sent_at = loop.time()
        else:
            sent_at = start + i / rate
            if sent_at >= start + seconds:
                return
            await asyncio.sleep(max(0.0, sent_at - loop.time()))
        data = form(run, i)
        load.sent += 1
        try:
            r = await http.post(path, data=data)
        except httpx.HTTPError as exc:
            load.error(type(exc).__name__)
            continue
        load.finished = loop.time()
        load.latencies_ms.append((load.finished - sent_at) * 1000)
        found = CODE.search(r.text) if r.status_code == 200 else None
        if found is None:
            load.error(f"HTTP {r.status_code}")
            continue
        load.codes.append(found.group(1))
        load.groups[data["speaks_for"]] = load.groups.get(data["speaks_for"], 0) + 1


async def drive(
    url: str, path: str, run: str, concurrency: int, seconds: float, rate: float | None = None
) -> Load:
    load = Load()
    counter = iter(range(10**12))
    # A client of its own for each, with one connection kept alive: a shared pool of many
    # connections costs httpx more CPU per request than the portal spends on it.
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=url, limits=limits, timeout=60)
            )
            for _ in range(concurrency)
        ]
        start = load.started = asyncio.get_running_loop().time()
        await asyncio.gather(
            *(submit_for(http, path, run, counter, start, seconds, rate, load) for http in clients)
        )
    return load


async def run(args: argparse.Namespace) -> dict[str, Any]:
    cancel_on_sigterm()
    load_start = os.getloadavg()
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-portal-")))
        run_id = uuid.uuid4().hex[:8]
        case_id = f"so-xd-daklak:bench-portal-{run_id}"
        url, records = open_consultation(
            stack, tmp, args.database,
            IntakeOpening(
                case_id=case_id, agency="so-xd-daklak",
                title="Quy định về bến xe khách trên địa bàn tỉnh (thử tải)",
                affected_groups=["Doanh nghiệp vận tải", "Hành khách"],
            ),
        )  # fmt: skip
        async with DevServer(None, log_level="error") as server:
            port = free_port()
            portal_url = f"http://127.0.0.1:{port}"
            log = args.portal_log or tmp / "portal.log"
            portal = PortalProcess(
                env=portal_env(
                    server.address, tmp, url, port,
                    LEGISFLOW_PORTAL_WORKERS=str(args.workers),
                    LEGISFLOW_PORTAL_COMMENTS_PER_MINUTE=str(10**9),
                ),
                log=log,
            )  # fmt: skip
            portal.start()
            try:
                await portal.serving(portal_url)
                path = f"/du-thao/{case_id}/gop-y"
                print(f"portal serving ({args.workers} worker(s), {args.database})", flush=True)
                warm = await drive(portal_url, path, f"{run_id}w", args.concurrency, args.warmup)
                print(f"warm-up: {len(warm.codes)} comments", flush=True)
                profiler = _py_spy(portal.pid, args.profile) if args.profile else None
                cpu_portal, cpu_me = tree_cpu_seconds(portal.pid), time.process_time()
                pg = postgres_pid(url) if args.database == "postgresql" else None
                cpu_pg = tree_cpu_seconds(pg) if pg else 0.0
                load = await drive(
                    portal_url, path, run_id, args.concurrency, args.seconds, args.rate
                )
                wall = load.finished - load.started
                cpu_portal = tree_cpu_seconds(portal.pid) - cpu_portal
                cpu_me = time.process_time() - cpu_me
                cpu_pg = (tree_cpu_seconds(pg) - cpu_pg) if pg else 0.0
                if profiler is not None:
                    profiler.send_signal(2)
                    profiler.wait()
            finally:
                portal.stop()
        return check(args, records, case_id, warm, load, wall, cpu_portal, cpu_me, cpu_pg,
                     load_start)  # fmt: skip


def check(
    args: argparse.Namespace,
    records: PublicComments,
    case_id: str,
    warm: Load,
    load: Load,
    wall: float,
    cpu_portal: float,
    cpu_me: float,
    cpu_pg: float,
    load_start: tuple[float, float, float],
) -> dict[str, Any]:
    """The result, with the database's counts checked against the receipts."""
    receipts = len(warm.codes) + len(load.codes)
    t = time.perf_counter()
    counts = records.counts(case_id)
    counts_ms = (time.perf_counter() - t) * 1000
    codes = warm.codes + load.codes
    by_group = dict(warm.groups)
    for group, n in load.groups.items():
        by_group[group] = by_group.get(group, 0) + n
    sample = codes[:: max(1, len(codes) // 200)]
    found = sum(
        (c := records.tracked(code)) is not None and c.case_id == case_id for code in sample
    )
    ok = counts.received == receipts and counts.by_group == by_group
    ok = ok and len(set(codes)) == len(codes) and found == len(sample)
    ms = load.latencies_ms
    done = len(load.codes)
    per_s = done / wall
    # At a rate, the load is sustained if every comment offered got its receipt.
    sustained = args.rate if args.rate and load.sent == done else per_s
    p95 = pct(ms, 95)
    return {
        "command": " ".join(["python -m bench.portal_comments", *sys.argv[1:]]),
        "database": args.database,
        "workers": args.workers,
        "concurrency": args.concurrency,
        "offered_rate_per_s": args.rate or "as fast as answered (closed loop)",
        "seconds": round(wall, 1),
        "comments": done,
        "comments_per_s": round(per_s, 1),
        "latency_ms": {
            "p50": round(statistics.median(ms), 1),
            "p95": round(p95, 1),
            "p99": round(pct(ms, 99), 1),
            "max": round(max(ms), 1),
        },
        "errors": load.errors,
        "cpu_ms_per_comment": {
            "portal": round(cpu_portal * 1000 / max(1, done), 2),
            "clients (this process)": round(cpu_me * 1000 / max(1, done), 2),
            "postgresql": round(cpu_pg * 1000 / max(1, done), 2),
        },
        "target_met": sustained >= TARGET_PER_S and p95 <= TARGET_P95_MS and not load.errors,
        "receipts_with_warm_up": receipts,
        "database_count": counts.received,
        "database_by_group": counts.by_group,
        "receipts_by_group": by_group,
        "distinct_codes": len(set(codes)),
        "sampled_codes_found": f"{found}/{len(sample)}",
        "counts_ms": round(counts_ms, 1),
        "exact": ok,
        "load_average": {"start": load_start, "end": os.getloadavg()},
    }


def _py_spy(pid: int, out: Path) -> subprocess.Popen[bytes]:
    """Sample the portal and its workers with py-spy until SIGINT: raw (collapsed) stacks of
    the threads holding the GIL, i.e. where the portal's Python spends its CPU."""
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid)]
    command += ["--subprocesses", "--nonblocking", "--gil", "--rate", "100"]
    command += ["--format", "raw", "-o", str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before measuring")
    parser.add_argument("--concurrency", type=int, default=32, help="clients (connections)")
    parser.add_argument(
        "--rate", type=float, default=None,
        help="comments per second offered, spread evenly (default: each client as fast as "
        "answered)",
    )  # fmt: skip
    parser.add_argument("--workers", type=int, default=1, help="LEGISFLOW_PORTAL_WORKERS")
    parser.add_argument("--profile", type=Path, default=None, help="py-spy raw stacks here")
    parser.add_argument("--portal-log", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    result = run_benchmark(run(args))
    report(result, args.json)
    sys.stdout.flush()
    os._exit(0 if result["exact"] else 1)  # sdk-python#300


if __name__ == "__main__":
    main()
