"""A million comments on one draft: exact counts afterwards, and what reading them costs.

    .venv/bin/python -m bench.million_comments [--database sqlite|postgresql]
        [--comments 1000000] [--processes 2] [--threads 8] [--json PATH]

Opens one consultation in a fresh database (SQLite in a temporary folder, or a PostgreSQL it
starts on loopback, ``localdev/postgres.py``) and inserts ``--comments`` comments, each its
own citizen's (own contact, own text, the four groups in turn), through
``PublicComments.submit``: the portal's own transaction (the intake checked open, the
comment written, committed and synced to disk before the receipt), from ``--processes``
processes of ``--threads`` threads each. Not through HTTP: at the portal's measured rate
(``bench.portal_comments``: 650-1,000/s on two cores it shares with its clients) a million
would take 17-25 minutes per database, and the HTTP layer adds nothing the database sees
that the portal benchmark does not measure already. Then it checks that ``counts()``
equals the number of receipts, by group, and times ``counts()`` and tracking-code lookups
(``tracked()``) at that size, and what a count running meanwhile does to submissions (as
``counts()`` reads now, and as it read before: in a write transaction). It exits non-zero
if a count is off.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import queue
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

import psycopg

from bench import report
from bench.consultation import open_consultation
from models.public_consultation import CommentSubmission, IntakeOpening, SpeaksFor
from public_records.comments import PublicComments
from public_records.database import Database

GROUPS = [g.value for g in SpeaksFor]
#: Every this many comments, one's tracking code is kept for the lookups afterwards.
SAMPLE_EVERY = 1000


def submission(case_id: str, run: str, i: int) -> CommentSubmission:
    return CommentSubmission.model_validate(
        {
            "case_id": case_id,
            "name": f"Người góp ý số {i}",
            "contact": f"nguoi{i}.{run}@example.vn",
            "text": (
                f"Góp ý số {i}: đề nghị sửa khoản {i % 7 + 1} Điều {i % 12 + 1} cho rõ nghĩa, "
                "quy định cụ thể thời hạn giải quyết và cơ quan chịu trách nhiệm trả lời."
            ),
            "article": i % 13,
            "speaks_for": GROUPS[i % len(GROUPS)],
        }
    )


def insert_share(
    url: str,
    case_id: str,
    run: str,
    total: int,
    process: int,
    processes: int,
    threads: int,
    done: Synchronized[int],
    results: multiprocessing.Queue[dict[str, Any]],
) -> None:
    """One process's share: comments ``i`` with ``i % processes == process``, spread over
    ``threads`` threads; puts what it did on ``results``."""
    records = PublicComments(Database(url))  # the schema exists: made by the parent
    lock = threading.Lock()
    outcome: dict[str, Any] = {"receipts": 0, "duplicates": 0, "code_collisions": 0}
    outcome["by_group"] = dict.fromkeys(GROUPS, 0)
    outcome["sample"] = []
    failures: list[BaseException] = []

    def thread(t: int) -> None:
        receipts = duplicates = collisions = 0
        by_group = dict.fromkeys(GROUPS, 0)
        sample: list[str] = []
        try:
            for i in range(process + t * processes, total, processes * threads):
                sub = submission(case_id, run, i)
                while True:
                    try:
                        receipt = records.submit(sub)
                        break
                    except (sqlite3.IntegrityError, psycopg.IntegrityError) as exc:
                        # Two comments drew the same random tracking code: the second's
                        # transaction rolled back; sent again it draws another.
                        if "tracking_code" not in str(exc):
                            raise
                        collisions += 1
                receipts += 1
                duplicates += receipt.duplicate
                by_group[sub.speaks_for.value] += 1
                if i % SAMPLE_EVERY == 0:
                    sample.append(receipt.tracking_code)
                if receipts % 100 == 0:
                    with done.get_lock():
                        done.value += 100
        except BaseException as exc:
            failures.append(exc)
            raise
        with lock:
            outcome["receipts"] += receipts
            outcome["duplicates"] += duplicates
            outcome["code_collisions"] += collisions
            for group, n in by_group.items():
                outcome["by_group"][group] += n
            outcome["sample"] += sample

    workers = [threading.Thread(target=thread, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if failures:
        outcome["failure"] = repr(failures[0])
    results.put(outcome)


def beside_counts(
    records: PublicComments,
    case_id: str,
    run: str,
    extra: Iterator[int],
    in_write: bool,
    seconds: float,
) -> dict[str, Any]:
    """Submission latency while another thread counts the draft's comments again and
    again: with ``counts()``, or (``in_write``) with the same count in a write transaction,
    as ``counts()`` did before it promised to read only."""
    stop = threading.Event()
    counted: list[float] = []

    def count() -> None:
        while not stop.is_set():
            t = time.perf_counter()
            if in_write:
                with records.db.transaction() as cur:
                    records._counts(cur, case_id)
            else:
                records.counts(case_id)
            counted.append((time.perf_counter() - t) * 1000)

    counter = threading.Thread(target=count)
    counter.start()
    ms: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        sub = submission(case_id, run, next(extra))
        t = time.perf_counter()
        records.submit(sub)
        ms.append((time.perf_counter() - t) * 1000)
    stop.set()
    counter.join()
    return {
        "submissions": len(ms),
        "p50": round(statistics.median(ms), 2),
        "p99": round(pct(ms, 99), 2),
        "max": round(max(ms), 1),
        "counts_done": len(counted),
        "count_ms_median": round(statistics.median(counted), 1) if counted else None,
    }


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def database_bytes(records: PublicComments, url: str) -> int:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    with records.db.transaction() as cur:
        cur.execute("SELECT pg_database_size(current_database())")
        return int(cur.fetchone()[0])


def run(args: argparse.Namespace) -> dict[str, Any]:
    load_start = os.getloadavg()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-million-")))
        run_id = uuid.uuid4().hex[:8]
        case_id = f"so-xd-daklak:bench-million-{run_id}"
        url, records = open_consultation(
            stack, tmp, args.database,
            IntakeOpening(
                case_id=case_id, agency="so-xd-daklak",
                title="Quy định về bến xe khách trên địa bàn tỉnh (một triệu góp ý)",
            ),
        )  # fmt: skip
        ctx = multiprocessing.get_context("spawn")
        done = ctx.Value("q", 0)
        results: multiprocessing.Queue[dict[str, Any]] = ctx.Queue()
        share = (url, case_id, run_id, args.comments)
        procs = [
            ctx.Process(
                target=insert_share,
                args=(*share, p, args.processes, args.threads, done, results),
            )
            for p in range(args.processes)
        ]
        t0 = time.perf_counter()
        for proc in procs:
            proc.start()
        outcomes: list[dict[str, Any]] = []
        last = (t0, 0)
        while len(outcomes) < len(procs):
            try:
                outcomes.append(results.get(timeout=args.progress))
            except queue.Empty:
                if not any(p.is_alive() for p in procs):
                    raise RuntimeError("an inserting process died without a result") from None
            now, n = time.perf_counter(), done.value
            if now - last[0] >= args.progress:
                rate = (n - last[1]) / (now - last[0])
                print(f"  {n:,} comments after {now - t0:.0f} s ({rate:.0f}/s lately)", flush=True)
                last = (now, n)
        inserting = time.perf_counter() - t0
        for proc in procs:
            proc.join()
        failures = [o["failure"] for o in outcomes if "failure" in o]
        receipts = sum(o["receipts"] for o in outcomes)
        by_group = {g: sum(o["by_group"][g] for o in outcomes) for g in GROUPS}
        sample = [code for o in outcomes for code in o["sample"]]
        print(f"{receipts:,} receipts in {inserting:.0f} s; counting", flush=True)

        counts_ms = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            counts = records.counts(case_id)
            counts_ms.append((time.perf_counter() - t) * 1000)
        random.Random(1).shuffle(sample)
        lookups_ms, found = [], 0
        for code in sample:
            t = time.perf_counter()
            tracked = records.tracked(code)
            lookups_ms.append((time.perf_counter() - t) * 1000)
            found += tracked is not None and tracked.case_id == case_id
        size = database_bytes(records, url)
        exact = (
            not failures
            and receipts == args.comments
            and counts.received == receipts
            and counts.by_group == by_group
            and found == len(sample)
        )
        print("submitting while counting", flush=True)
        extra = iter(range(args.comments, 10**12))
        while_counting = {
            how: beside_counts(records, case_id, run_id, extra, in_write, args.contended_seconds)
            for how, in_write in (("counts() as shipped", False), ("counts in a write", True))
        }
        after = records.counts(case_id).received
        added = sum(w["submissions"] for w in while_counting.values())
        exact = exact and after == receipts + added
        return {
            "command": " ".join(["python -m bench.million_comments", *sys.argv[1:]]),
            "database": args.database,
            "path": "PublicComments.submit (the portal's transaction), not HTTP",
            "processes_x_threads": f"{args.processes} x {args.threads}",
            "comments": args.comments,
            "receipts": receipts,
            "duplicates": sum(o["duplicates"] for o in outcomes),
            "tracking_code_collisions_retried": sum(o["code_collisions"] for o in outcomes),
            "failures": failures,
            "inserting_s": round(inserting, 1),
            "comments_per_s": round(receipts / inserting, 1),
            "database_count": counts.received,
            "database_by_group": counts.by_group,
            "receipts_by_group": by_group,
            "counts_ms": {
                "first": round(counts_ms[0], 1),
                "median": round(statistics.median(counts_ms), 1),
                "runs": len(counts_ms),
            },
            "tracked_ms": {
                "lookups": len(lookups_ms),
                "p50": round(statistics.median(lookups_ms), 2),
                "p95": round(pct(lookups_ms, 95), 2),
                "max": round(max(lookups_ms), 2),
            },
            "sampled_codes_found": f"{found}/{len(sample)}",
            "database_mib": round(size / 2**20, 1),
            # One citizen submitting back to back while another thread counts in a loop: as
            # counts() reads (write=False), and as it read before, in a write transaction
            # (on SQLite: holding the turn to write).
            "submit_ms_while_counting": while_counting,
            "database_count_after": after,
            "exact": exact,
            "load_average": {"start": load_start, "end": os.getloadavg()},
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=5, help="times counts() is timed")
    parser.add_argument("--progress", type=float, default=30.0, help="seconds between lines")
    parser.add_argument(
        "--contended-seconds", type=float, default=10.0,
        help="seconds of submissions beside a counting thread, each way",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    result = run(args)
    report(result, args.json)
    sys.exit(0 if result["exact"] else 1)


if __name__ == "__main__":
    main()
