"""legisflow against bare Temporal, on one local dev server, in one run.

    .venv/bin/python -m bench.lifecycle                       # the numbers in BENCHMARKS.md
    .venv/bin/python -m bench.lifecycle --lifecycles 20 --open-cases 200   # a quick look

Measures, with both workers as separate processes (``legisflow worker`` and
``python -m bench.bare``) and this process driving the cases:

1. throughput: ``--lifecycles`` full lifecycles through legisflow (``walkthrough.walk``,
   ``--concurrency`` at a time) against as many lifecycles of ``bench/bare.py``'s
   ``BareLifecycle`` doing the same number of Updates and activities, each activity writing
   as many files as legisflow's carried out effects (its plan is read from a legisflow
   history), driven the same way (wait for effects, wait for the step, Update; the new stage
   is read from the Update's result); the ratio, and CPU seconds per lifecycle of the worker,
   server and driver. A second baseline, ``bare_same_commands``, also issues legisflow's
   patch markers, search-attribute upserts and cancelled deadline timers
   (``ratio_same_commands``): what is left between the two is legisflow's own code. Each
   round also reports, from ten of its histories, how long a workflow task waited to be
   dispatched and ran, and how long an activity ran (``task_waits``); and each side's ratio
   to the bare round of the same round, median and range (``paired``). Both sides' workflow
   code is compiled to bytecode first;
2. Update round trip, action sent → new stage visible, p50 and p99, one case at a time on an
   otherwise idle system. The ``act`` Update completes only after the case has entered its
   new stage and returns that stage, so its result is the new stage being visible to the
   caller; the measure by query (Update, then the cheap ``stage`` query until the case has
   left the stage, as bare queries its step) is reported alongside as ``*_query_based``,
   and one full ``status`` query at that moment as ``legisflow_status_query_only``;
3. history events and bytes of one complete lifecycle;
4. replay time of that history with ``Replayer`` (first replay in the process, then warm);
5. worker memory (RSS) with ``--open-cases`` cases open, against the bare worker's.

Results are printed and written as JSON (``--json``). Nothing here is collected by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import dataclasses
import json
import logging
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import ActivityTaskScheduledEventAttributes
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from activities.filesystem_store import FilesystemDocumentStore
from bench import cancel_on_sigterm, run_benchmark
from bench.bare import BareChild, BareInput, BareLifecycle, BarePlan, BareStatus
from client.cases import act, stage, start_case, status
from localdev.devserver import DevServer
from localdev.processes import WorkerProcess, until
from localdev.stand_in import stand_in_signer
from localdev.walkthrough import allows, document_for, reached, wait_for_status, walk
from models.actors import Directory, first_staffed_drafter, load_directory
from models.case import ActionRequest, CaseStatus, SimplifiedDecision
from models.definition import ProcessDefinition
from models.machine import shortest_path
from models.registry import load_registry
from models.starting import StartRequest
from worker import WORKFLOWS
from worker_runtime.runner import CaseRunner

TARGETS = {
    "ratio": 1.15,
    "paired_same_commands": 1.10,
    "update_p50_ms": 15.0,
    "update_p99_ms": 50.0,
    "events": 300,
}


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)


# ---- the two kinds of lifecycle -----------------------------------------------------------------


@dataclass
class Bench:
    client: Client
    directory: Directory
    definition: ProcessDefinition
    starter: str
    simplified_by: str | None
    legal_day: float
    store: FilesystemDocumentStore
    legisflow: WorkerProcess
    bare: WorkerProcess
    plan: BarePlan | None = None
    #: Seconds of one full ``status`` query after each measured action.
    status_query_times: list[float] = field(default_factory=list)

    # legisflow ---------------------------------------------------------------------------------

    async def start_legisflow(self, slug: str, legal_day: float | None = None) -> str:
        decision = (
            SimplifiedDecision(decided_by=self.simplified_by, reason="Khẩn cấp (benchmark)")
            if self.simplified_by
            else None
        )
        handle = await start_case(
            self.client,
            self.directory,
            StartRequest(
                definition=self.definition,
                title=f"Benchmark {slug}",
                starter=self.starter,
                slug=slug,
                legal_day_seconds=legal_day or self.legal_day,
                simplified=decision,
            ),
            task_queue=self.legisflow.task_queue,
        )
        return handle.id

    async def legisflow_life(self, slug: str) -> str:
        cid = await self.start_legisflow(slug)
        await walk(self.client, cid, self.definition, self.store, timeout=120)
        await self.client.get_workflow_handle(cid).result()
        return cid

    async def legisflow_round_trips(
        self, slug: str, parts: list[tuple[float, float]] | None = None
    ) -> list[float]:
        """One lifecycle, timing each action from sending to the new stage being visible in
        the Update's result (``parts``: the Update's own time and that of the ``status``
        queries after it until they show the case has left the stage, for each)."""
        cid = await self.start_legisflow(slug)
        simplified = self.simplified_by is not None
        st = await status(self.client, cid)
        trips = []
        for n, t in enumerate(
            shortest_path(self.definition, st.stage, self.definition.final[0], simplified), 1
        ):
            if t.automatic:
                await wait_for_status(self.client, cid, reached(t.dest), timeout=60)
                continue

            def ready(s: CaseStatus, action: str = t.action) -> bool:
                return s.pending_effects == 0 and allows(action)(s)

            st = await wait_for_status(self.client, cid, ready, timeout=60)
            allowed = next(a for a in st.allowed if a.action == t.action)
            doc = None
            if allowed.requires_document:
                doc = self.store.put_blob(document_for(t, cid, n), f"{t.action}.md")
            request = ActionRequest(
                declare_no_interest=True, action=t.action, actor=allowed.actors[0], document=doc
            )
            t0 = time.perf_counter()
            result = await act(self.client, cid, request)
            t1 = time.perf_counter()
            assert result.stage == t.dest, f"{cid}: {t.action} → {result.stage}, not {t.dest}"
            await self.visible(cid, t.source)
            t2 = time.perf_counter()
            trips.append(t1 - t0)
            if parts is not None:
                parts.append((t1 - t0, t2 - t1))
                # What ``legisflow status`` costs at the same moment (allowed actions,
                # deadlines, documents: much more than the stage).
                await status(self.client, cid)
                self.status_query_times.append(time.perf_counter() - t2)
        await self.client.get_workflow_handle(cid).result()
        return trips

    async def visible(self, cid: str, source: str) -> None:
        """Query the stage until the case has left ``source`` (the next stage may be left at
        once by an automatic transition, so "left" rather than "arrived")."""
        for _ in range(1000):
            if (await stage(self.client, cid)).stage != source:
                return
        raise TimeoutError(f"{cid}: still in {source} after 1000 queries")

    # bare --------------------------------------------------------------------------------------

    async def start_bare(self, slug: str) -> str:
        assert self.plan is not None
        handle = await self.client.start_workflow(
            BareLifecycle.run,
            BareInput(case_id=slug, plan=self.plan),
            id=f"bare:{slug}",
            task_queue=self.bare.task_queue,
        )
        return handle.id

    async def bare_status(self, wid: str) -> BareStatus:
        return await self.client.get_workflow_handle(wid).query(BareLifecycle.status)

    async def bare_wait(self, wid: str, ok: Callable[[BareStatus], bool]) -> BareStatus:
        """The walkthrough's polling (every 50 ms until the condition holds)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while not ok(st := await self.bare_status(wid)):
            if loop.time() > deadline:
                raise TimeoutError(f"{wid}: stuck at {st}")
            await asyncio.sleep(0.05)
        return st

    async def bare_life(
        self,
        slug: str,
        trips: list[float] | None = None,
        parts: list[tuple[float, float]] | None = None,
    ) -> str:
        """Driven like ``walk``: wait for effects, wait for the step, upload, Update (whose
        result is the new step). When measuring (``trips``/``parts``), also the queries after
        the Update until they show the new step, as for legisflow."""
        assert self.plan is not None
        wid = await self.start_bare(slug)
        handle = self.client.get_workflow_handle(wid)
        uploads = self._uploads()
        await self.bare_status(wid)
        for step in range(len(self.plan.step_effects)):
            await self.bare_wait(wid, lambda s: s.pending == 0)
            await self.bare_wait(wid, _at(step))
            if uploads[step]:
                self.store.put_blob(f"{wid} {step}".encode(), f"step-{step}.md")
            t0 = time.perf_counter()
            new_stage = await handle.execute_update(BareLifecycle.act, step)
            t1 = time.perf_counter()
            assert new_stage > step, f"{wid}: step {step} → {new_stage}"
            if trips is None and parts is None:
                continue
            for _ in range(1000):
                if (await self.bare_status(wid)).stage > step:
                    break
            t2 = time.perf_counter()
            if trips is not None:
                trips.append(t1 - t0)
            if parts is not None:
                parts.append((t1 - t0, t2 - t1))
        if self.plan.final_effects is not None:
            final = len(self.plan.step_effects) + 1
            await self.bare_wait(wid, lambda s: s.stage == final)
        await handle.result()
        return wid

    def _uploads(self) -> list[bool]:
        simplified = self.simplified_by is not None
        path = shortest_path(
            self.definition, self.definition.initial, self.definition.final[0], simplified
        )
        return [t.requires_document for t in path if not t.automatic]


def _at(step: int) -> Callable[[BareStatus], bool]:
    return lambda s: s.stage == step


def plan_from(history: WorkflowHistory, *, commands: bool = False) -> BarePlan:
    """The activities legisflow ran at start, after each Update, and after the timer that
    fired the automatic last step, each with how many effects it carried out. With
    ``commands``, also its patch markers, search-attribute upserts and the deadline timers
    an Update cancelled, so the baseline issues the same Temporal commands."""
    segments: list[list[int]] = [[]]
    upserts: list[int] = [0]
    timers: list[bool] = [False]
    markers = 0
    final_after_timer: list[int] | None = None
    cancelled = {
        e.timer_canceled_event_attributes.timer_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_TIMER_CANCELED
    }
    for e in history.events:
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            segments.append([])
            upserts.append(0)
            timers.append(False)
        elif e.event_type == EventType.EVENT_TYPE_TIMER_FIRED and len(segments) > 1:
            final_after_timer = []
        elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            writes = effects_in(e.activity_task_scheduled_event_attributes)
            (final_after_timer if final_after_timer is not None else segments[-1]).append(writes)
        elif e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            markers += 1
            upserts[-1] -= 1  # its TemporalChangeVersion upsert comes with the marker
        elif e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            upserts[-1] += 1
        elif e.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            timers[-1] |= e.timer_started_event_attributes.timer_id in cancelled
    plan = BarePlan(
        start_effects=segments[0], step_effects=segments[1:], final_effects=final_after_timer
    )
    if not commands:
        return plan
    return plan.model_copy(
        update={
            "markers": markers,
            "start_upserts": max(0, upserts[0]),
            "step_upserts": [max(0, n) for n in upserts[1:]],
            "timers": timers,
        }
    )


def effects_in(scheduled: ActivityTaskScheduledEventAttributes) -> int:
    """Effects one scheduled activity carries out: a batch's items, otherwise one."""
    if scheduled.activity_type.name != "carry_out_effects":
        return 1
    return len(json.loads(scheduled.input.payloads[0].data)["items"])


def child_ids(history: WorkflowHistory) -> list[str]:
    return [
        e.start_child_workflow_execution_initiated_event_attributes.workflow_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
    ]


def activities_in(history: WorkflowHistory) -> int:
    return sum(
        1 for e in history.events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    )


def history_size(history: WorkflowHistory) -> dict[str, int]:
    return {
        "events": len(history.events),
        "bytes": sum(e.ByteSize() for e in history.events),
        "json_bytes": len(history.to_json()),
    }


# ---- measurements -------------------------------------------------------------------------------


@dataclass
class Cpu:
    worker: float
    server: float
    driver: float


def cpu_now(worker: WorkerProcess, server: DevServer) -> Cpu:
    from localdev.processes import process_cpu_seconds

    assert server.proc is not None
    return Cpu(worker.cpu_seconds(), process_cpu_seconds(server.proc.pid), time.process_time())


async def throughput(
    name: str,
    life: Callable[[str], Awaitable[str]],
    worker: WorkerProcess,
    server: DevServer,
    n: int,
    concurrency: int,
    tag: str,
    profile: Path | None = None,
) -> dict[str, float]:
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> str:
        async with gate:
            return await life(f"{tag}-{i:04d}")

    spy = _py_spy(worker.pid, profile) if profile else None
    before = cpu_now(worker, server)
    t0 = time.perf_counter()
    ids = await asyncio.gather(*(one(i) for i in range(n)))
    wall = time.perf_counter() - t0
    after = cpu_now(worker, server)
    if spy is not None and profile is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)
        log(f"profile of the {name} worker: {profile}")
    out = {
        "lifecycles": n,
        "seconds": round(wall, 2),
        "per_second": round(n / wall, 3),
        "worker_cpu_ms_per_life": round(1000 * (after.worker - before.worker) / n, 1),
        "server_cpu_ms_per_life": round(1000 * (after.server - before.server) / n, 1),
        "driver_cpu_ms_per_life": round(1000 * (after.driver - before.driver) / n, 1),
    }
    if ids:
        client = await server.connect()  # reads histories only
        every = max(1, n // 10)  # ten histories are enough for a mean
        sample = [await client.get_workflow_handle(i).fetch_history() for i in ids[::every]]
        out |= task_waits(sample)
    log(f"{name}: {out}")
    return out


def task_waits(histories: Sequence[WorkflowHistory]) -> dict[str, float]:
    """Mean waits read from the histories' timestamps: a workflow task from scheduled to
    started (dispatch: the server's queues, matching and the worker's pollers) and from
    started to completed (the worker), an activity from started to completed. The first is
    what showed the dev server's queue poll rate and SQLite journal (bench/README.md, P7)."""
    spans: dict[str, list[float]] = {"wft_dispatch_ms": [], "wft_run_ms": [], "activity_ms": []}
    for h in histories:
        at = {e.event_id: e.event_time.ToMilliseconds() for e in h.events}
        for e in h.events:
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                scheduled = e.workflow_task_started_event_attributes.scheduled_event_id
                spans["wft_dispatch_ms"].append(at[e.event_id] - at[scheduled])
            elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                started = e.workflow_task_completed_event_attributes.started_event_id
                spans["wft_run_ms"].append(at[e.event_id] - at[started])
            elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                started = e.activity_task_completed_event_attributes.started_event_id
                spans["activity_ms"].append(at[e.event_id] - at[started])
    return {k: round(statistics.fmean(v), 1) for k, v in spans.items() if v}


def _py_spy(pid: int, out: Path) -> subprocess.Popen[bytes]:
    """Sample ``pid`` with py-spy until SIGINT; raw (collapsed) stacks with line numbers."""
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--nonblocking",
            "--rate",
            "200",
            "-o",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {
        "samples": len(samples),
        "p50_ms": round(1000 * statistics.median(samples), 2),
        "p90_ms": round(1000 * cuts[89], 2),
        "p99_ms": round(1000 * cuts[98], 2),
        "max_ms": round(1000 * max(samples), 2),
    }


async def replay_times(
    history: WorkflowHistory,
    workflows: Sequence[type],
    runner: WorkflowRunner | None = None,
    warm: int = 5,
) -> Any:
    """The first replay in this process (sandbox and imports cold), then the best of
    ``warm`` more, with ``runner`` (default: the SDK's sandbox). An error is reported, not
    raised: the code on disk may have moved on since the worker process started."""
    try:
        replayer = Replayer(
            workflows=list(workflows),
            data_converter=pydantic_data_converter,
            workflow_runner=runner or SandboxedWorkflowRunner(),
        )
        times = []
        for _ in range(warm + 1):
            t0 = time.perf_counter()
            await replayer.replay_workflow(history)
            times.append(time.perf_counter() - t0)
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc} (cause: {exc.__cause__!r})"}
    return {"first_ms": round(1000 * times[0], 1), "warm_ms": round(1000 * min(times[1:]), 1)}


async def open_cases_rss(
    worker: WorkerProcess,
    client: Client,
    start: Callable[[int], Awaitable[str]],
    n: int,
    effects_dir: Path,
) -> dict[str, float]:
    """RSS of a fresh worker process, idle, then with ``n`` cases open in its cache (each
    has run its first task and its first activity: one file each in ``effects_dir``)."""
    worker.stop()
    worker.start()
    await worker.wait_polling(client)
    idle = worker.rss_bytes()

    def files() -> int:
        return len(list(effects_dir.glob("*.json"))) if effects_dir.is_dir() else 0

    before = files()
    gate = asyncio.Semaphore(50)

    async def one(i: int) -> None:
        async with gate:
            await start(i)

    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))

    async def all_open() -> bool:
        return files() - before >= n

    await until(f"{n} open cases", all_open, timeout=600, poll=0.5)
    seconds = time.perf_counter() - t0
    loaded = worker.rss_bytes()
    return {
        "open_cases": n,
        "idle_rss_mb": round(idle / 2**20, 1),
        "rss_mb": round(loaded / 2**20, 1),
        "per_case_kb": round((loaded - idle) / n / 1024, 1),
        "seconds_to_open": round(seconds, 1),
    }


# ---- the run ------------------------------------------------------------------------------------


def who_runs(
    doc_type: str, regime: str, *, simplified: bool
) -> tuple[Directory, ProcessDefinition, str, str | None]:
    """The directory, the definition, its first staffed drafter and, for the simplified
    procedure, the person who decides it."""
    directory = load_directory()
    definition = load_registry().get(doc_type, regime)
    starter = first_staffed_drafter(directory, definition)
    assert starter is not None, f"nobody in the directory can start {definition.key}"
    if not simplified:
        return directory, definition, starter, None
    assert definition.simplified is not None, f"{definition.key} has no simplified procedure"
    holders = directory.assign_roles(definition, directory.person(starter).agency)
    return directory, definition, starter, holders[definition.simplified.decided_by][0].id


def compile_both_sides() -> None:
    """Both sides' workflow code as bytecode, as ``make bytecode`` leaves legisflow's: without
    it (PYTHONDONTWRITEBYTECODE) each side's sandbox compiles its module for every case."""
    repo = Path(__file__).resolve().parent.parent
    compiled = compileall.compile_dir(repo / "workflows", quiet=1) and compileall.compile_file(
        repo / "bench" / "bare.py", quiet=1
    )
    assert compiled, "cannot compile workflows/ or bench/bare.py"


async def run(args: argparse.Namespace) -> dict[str, Any]:
    cancel_on_sigterm()
    compile_both_sides()
    directory, definition, starter, simplified_by = who_runs(
        args.type, args.regime, simplified=args.procedure == "simplified"
    )
    legal_day = args.legal_day or (86400.0 if simplified_by else 0.05)

    root = Path(tempfile.mkdtemp(prefix="legisflow-bench-"))
    server = DevServer(root / "server")
    server.start()
    client = await server.connect(signer=stand_in_signer())
    lf = WorkerProcess(server.address, "bench-legisflow", root / "legisflow")
    bare = WorkerProcess(
        server.address,
        "bench-bare",
        root / "bare",
        command=[
            sys.executable,
            "-m",
            "bench.bare",
            server.address,
            "bench-bare",
            str(root / "bare" / "effects"),
        ],
    )
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "loadavg_at_start": os.getloadavg(),
        },
        "command": "python -m bench.lifecycle " + " ".join(sys.argv[1:]),
        "definition": definition.key,
        "procedure": args.procedure,
        "legal_day_seconds": legal_day,
        "targets": TARGETS,
    }
    try:
        for w in (lf, bare):
            w.start()
            await w.wait_polling(client)
        b = Bench(
            client,
            directory,
            definition,
            starter,
            simplified_by,
            legal_day,
            FilesystemDocumentStore(root / "legisflow" / "documents"),
            lf,
            bare,
        )

        # One lifecycle each first: warms both workers, gives the bare plan and the histories.
        ref = await b.legisflow_life("reference")
        lf_history = await client.get_workflow_handle(ref).fetch_history()
        b.plan = plan_from(lf_history)
        children = child_ids(lf_history)
        if children:
            # The child that outlives the case: mirror what it did by the time the case ended.
            child = await client.get_workflow_handle(children[0]).fetch_history()
            b.plan = b.plan.model_copy(update={"child_effects": activities_in(child)})
            results["history"] = {"legisflow_child": history_size(child)}
        bare_ref = await b.bare_life("reference")
        bare_history = await client.get_workflow_handle(bare_ref).fetch_history()
        # The second baseline: also legisflow's patch markers, search-attribute upserts
        # and cancelled deadline timers, so only legisflow's own code differs.
        same = dataclasses.replace(
            b,
            plan=plan_from(lf_history, commands=True).model_copy(
                update={"child_effects": b.plan.child_effects}
            ),
        )
        same_ref = await same.bare_life("reference-same-commands")
        same_history = await client.get_workflow_handle(same_ref).fetch_history()
        results["plan"] = b.plan.model_dump()
        results["history"] = {
            **results.get("history", {}),
            "legisflow": history_size(lf_history),
            "bare": history_size(bare_history),
            "bare_same_commands": history_size(same_history),
            "legisflow_by_type": _by_type(lf_history),
            "bare_same_commands_by_type": _by_type(same_history),
        }
        log(f"history: {results['history']}")

        if not args.memory_only:
            sides: dict[str, tuple[Callable[[str], Awaitable[str]], WorkerProcess]] = {
                "legisflow": (b.legisflow_life, lf),
                "bare": (b.bare_life, bare),
                "bare_same_commands": (same.bare_life, bare),
            }
            rounds: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
            for r in range(args.rounds):
                order = list(sides)[r % len(sides) :] + list(sides)[: r % len(sides)]
                for name in order:
                    life, worker = sides[name]
                    profile = (
                        args.profile / f"{name}-worker.txt" if args.profile and r == 0 else None
                    )
                    rounds[name].append(
                        await throughput(
                            f"throughput {name} round {r + 1}",
                            life,
                            worker,
                            server,
                            args.lifecycles,
                            args.concurrency,
                            f"{name.replace('_', '-')}-{r}",
                            profile,
                        )
                    )
            best = {k: max(v, key=lambda x: x["per_second"]) for k, v in rounds.items()}
            results["throughput"] = {
                "rounds": rounds,
                "legisflow_per_second": best["legisflow"]["per_second"],
                "bare_per_second": best["bare"]["per_second"],
                "ratio": round(best["bare"]["per_second"] / best["legisflow"]["per_second"], 3),
                "bare_same_commands_per_second": best["bare_same_commands"]["per_second"],
                "ratio_same_commands": round(
                    best["bare_same_commands"]["per_second"] / best["legisflow"]["per_second"], 3
                ),
                "cpu_ratio_worker": round(
                    best["legisflow"]["worker_cpu_ms_per_life"]
                    / max(0.1, best["bare"]["worker_cpu_ms_per_life"]),
                    2,
                ),
            }
            results["throughput"]["paired"] = paired_ratios(rounds)
            log(f"throughput: {results['throughput']}")

            lf_trips: list[float] = []
            bare_trips: list[float] = []
            lf_parts: list[tuple[float, float]] = []
            bare_parts: list[tuple[float, float]] = []
            for i in range(args.latency_lifecycles):
                lf_trips += await b.legisflow_round_trips(f"rt-{i:03d}", lf_parts)
                await b.bare_life(f"rt-{i:03d}", bare_trips, bare_parts)
            results["update_round_trip"] = {
                "legisflow": percentiles(lf_trips),
                "bare": percentiles(bare_trips),
                "legisflow_query_based": percentiles([u + q for u, q in lf_parts]),
                "bare_query_based": percentiles([u + q for u, q in bare_parts]),
                "legisflow_update_only": percentiles([u for u, _ in lf_parts]),
                "legisflow_query_only": percentiles([q for _, q in lf_parts]),
                "bare_update_only": percentiles([u for u, _ in bare_parts]),
                "bare_query_only": percentiles([q for _, q in bare_parts]),
                "legisflow_status_query_only": percentiles(b.status_query_times),
            }
            log(f"update round trip: {results['update_round_trip']}")

            results["replay"] = {
                # Each with its worker's runner: legisflow's (worker_runtime/runner.py), the SDK's.
                "legisflow": await replay_times(
                    lf_history, WORKFLOWS, CaseRunner(pydantic_data_converter)
                ),
                "bare": await replay_times(bare_history, [BareLifecycle, BareChild]),
            }
            log(f"replay: {results['replay']}")

        if args.open_cases:

            async def open_legisflow(i: int) -> str:
                # Real legal days: each case waits in its first stage, its timers far off.
                return await b.start_legisflow(f"open-{i:05d}", legal_day=86400.0)

            async def open_bare(i: int) -> str:
                return await b.start_bare(f"open-{i:05d}")

            async def open_bare_again(i: int) -> str:
                return await b.start_bare(f"open-runner-{i:05d}")

            results["memory"] = {
                "legisflow": await open_cases_rss(
                    lf, client, open_legisflow, args.open_cases, root / "legisflow" / "outbox"
                ),
                "bare": await open_cases_rss(
                    bare, client, open_bare, args.open_cases, root / "bare" / "effects"
                ),
            }
            # The same bare worker under legisflow's runner, which lets go of each run's start
            # activation (worker_runtime/start_activation.py): what is left between it and
            # legisflow is legisflow's own state.
            bare.command.append("case-runner")
            results["memory"]["bare_case_runner"] = await open_cases_rss(
                bare, client, open_bare_again, args.open_cases, root / "bare" / "effects"
            )
            log(f"memory: {results['memory']}")
        results["machine"]["loadavg_at_end"] = os.getloadavg()
        if not args.memory_only:
            results["verdict"] = verdict(results)
            log(f"verdict: {results['verdict']}")
        return results
    finally:
        lf.stop()
        bare.stop()
        server.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def _by_type(history: WorkflowHistory) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in history.events:
        name = EventType.Name(e.event_type).removeprefix("EVENT_TYPE_")
        counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def paired_ratios(rounds: dict[str, list[dict[str, float]]]) -> dict[str, Any]:
    """Each side against the bare round of the same round (measured within a minute of it):
    the throughput ratio and the ratio of CPU per lifecycle (worker + server + driver),
    median and range over the rounds. Steadier than the best rounds on a shared box, whose
    speed drifts by 15 % over a run."""

    def cpu(x: dict[str, float]) -> float:
        return (
            x["worker_cpu_ms_per_life"] + x["server_cpu_ms_per_life"] + x["driver_cpu_ms_per_life"]
        )

    def spread(values: list[float]) -> dict[str, float]:
        return {
            "median": round(statistics.median(values), 3),
            "min": round(min(values), 3),
            "max": round(max(values), 3),
        }

    out: dict[str, Any] = {}
    for side, measured in rounds.items():
        if side == "bare":
            continue
        pairs = list(zip(measured, rounds["bare"], strict=True))
        out[side] = {
            "throughput_ratio": spread([b["per_second"] / s["per_second"] for s, b in pairs]),
            "cpu_ratio": spread([cpu(s) / cpu(b) for s, b in pairs]),
        }
    # Issue #21's measure: legisflow against bare Temporal issuing the same commands.
    pairs = list(zip(rounds["legisflow"], rounds["bare_same_commands"], strict=True))
    out["legisflow_vs_same_commands"] = {
        "throughput_ratio": spread([b["per_second"] / s["per_second"] for s, b in pairs]),
        "cpu_ratio": spread([cpu(s) / cpu(b) for s, b in pairs]),
        "worker_cpu_ratio": spread(
            [s["worker_cpu_ms_per_life"] / b["worker_cpu_ms_per_life"] for s, b in pairs]
        ),
    }
    return out


def verdict(r: dict[str, Any]) -> dict[str, str]:
    def judge(value: float, limit: float) -> str:
        met = value <= limit
        return f"{value} {'<=' if met else '>'} {limit}: {'met' if met else 'MISSED'}"

    trips = r["update_round_trip"]["legisflow"]
    queried = r["update_round_trip"]["legisflow_query_based"]
    return {
        "ratio": judge(r["throughput"]["ratio"], TARGETS["ratio"]),
        "ratio_same_commands": judge(r["throughput"]["ratio_same_commands"], TARGETS["ratio"]),
        "paired_same_commands": judge(
            r["throughput"]["paired"]["legisflow_vs_same_commands"]["throughput_ratio"]["median"],
            TARGETS["paired_same_commands"],
        ),
        "update_p50_ms": judge(trips["p50_ms"], TARGETS["update_p50_ms"]),
        "update_p99_ms": judge(trips["p99_ms"], TARGETS["update_p99_ms"]),
        "query_based_p50_ms": judge(queried["p50_ms"], TARGETS["update_p50_ms"]),
        "query_based_p99_ms": judge(queried["p99_ms"], TARGETS["update_p99_ms"]),
        "events": judge(r["history"]["legisflow"]["events"], TARGETS["events"]),
    }


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--lifecycles", type=int, default=60, help="per side and round")
    p.add_argument("--concurrency", type=int, default=20)
    p.add_argument("--rounds", type=int, default=2, help="alternating which side goes first")
    p.add_argument("--latency-lifecycles", type=int, default=20)
    p.add_argument("--open-cases", type=int, default=1000, help="0: skip the memory test")
    p.add_argument(
        "--memory-only",
        action="store_true",
        help="only the reference lifecycles and the memory test (no throughput, latency or "
        "replay rounds): quick while changing what a case holds",
    )
    p.add_argument("--type", default="qd_ubnd_tinh")
    p.add_argument("--regime", default="L2025_A87")
    p.add_argument(
        "--procedure",
        choices=["simplified", "normal"],
        default="simplified",
        help="simplified (default): no minimum periods, so real legal days and no timing "
        "effects; normal: needs a short --legal-day",
    )
    p.add_argument("--legal-day", type=float, default=None)
    p.add_argument("--json", type=Path, default=None, help="write the results here")
    p.add_argument("--keep", action="store_true", help="keep the working directory")
    p.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="directory: py-spy both workers during the first throughput round "
        "(summarise with python -m bench.profile FILE)",
    )
    return p.parse_args(argv)


def main() -> None:
    logging.getLogger("transitions").setLevel(logging.WARNING)
    args = parse(sys.argv[1:])
    results = run_benchmark(run(args))
    text = json.dumps(results, indent=2, ensure_ascii=False)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n", encoding="utf-8")
    print(text, flush=True)
    os._exit(0)  # sdk-python#300


if __name__ == "__main__":
    main()
