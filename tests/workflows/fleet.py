"""Machinery of the fleet proof (tests/workflows/test_fleet.py; bench/fleet.py runs that test
at scale): several ``legisflow worker`` processes, each in its own network namespace
(``localdev/netns.py``), reaching one dev server over virtual links, share the cases; one
host's link is cut and later restored, another host is SIGKILLed, and what the cases left
behind is checked as the crash proof checks it (``tests/workflows/durability.py``).

Every case is started (live) at once; they are driven in two waves. The timeline waits on
conditions, never on the machine's speed:

1. the first wave is driven; once it has taken ``CUT_AT`` of its steps, host 1's link is
   cut;
2. the link is restored once the other hosts have carried the first wave on by ``CARRIED``
   of its steps more, and the outage has lasted the scenario's ``cut_seconds`` (its length
   is the scenario, not a guess at how long something takes); host 1 must then poll again;
3. only then is the second wave driven, and once it has taken ``KILL_AT`` of its own steps,
   host 2 is SIGKILLed (and restarted, if asked).

So, however fast or slow the box, the fleet has work while host 1 is away, after it is
back, and after host 2 is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import random
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from temporalio.api.enums.v1 import EventType, TaskQueueType, WorkflowTaskFailedCause
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client, WorkflowExecutionStatus

from activities.filesystem_store import FilesystemDocumentStore
from localdev.devserver import DevServer, free_port
from localdev.netns import Link, Network
from localdev.processes import WorkerProcess, process_cpu_seconds, until
from localdev.stand_in import stand_in_signer
from models.actors import Directory
from models.case import CaseResult
from tests.workflows.durability import (
    LEGAL_DAY_SECONDS,
    PERFORMED,
    TIMING_KINDS,
    WITHDRAWN,
    Cluster,
    Connection,
    Leftovers,
    Plan,
    Progress,
    Reference,
    check_case,
    drive,
    path,
    plans,
    result_of,
    running,
    start,
)

#: The timeline, in shares of a wave's expected steps: the cut comes at CUT_AT of the first
#: wave's; it holds until the other hosts have taken CARRIED more; host 2 is killed at
#: KILL_AT of the second wave's.
CUT_AT, CARRIED, KILL_AT = 0.15, 0.2, 0.25
#: The share of the cases driven only once host 1 is back.
SECOND_WAVE = 1 / 3
#: Bound on the restored host polling again (a hang guard, never the verdict's measure: a
#: worker whose connection died while cut reconnects after TCP's and the SDK's back-offs).
REJOIN_TIMEOUT = 300.0
#: Phases of the run, for what each host did when.
PHASES = ("before the cut", "host 1 cut", "after the restore", "after the kill")
#: What a started event without a worker identity is counted under.
NO_IDENTITY = "no identity"
NONDETERMINISTIC = WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR


# ---- the fleet ----------------------------------------------------------------------------------


@dataclass
class Host:
    """One worker host: its namespace and link, and the ``legisflow worker`` running in it."""

    index: int
    link: Link | None
    worker: WorkerProcess
    #: Every process that served as this host (a restarted host has two).
    pids: list[int] = field(default_factory=list)
    #: CPU seconds of its processes that have ended (a killed one is read just before).
    cpu_ended: float = 0.0

    def start(self) -> None:
        self.worker.start()
        self.pids.append(self.worker.pid)

    def cpu_seconds(self) -> float:
        alive = self.worker.proc is not None and self.worker.proc.poll() is None
        return self.cpu_ended + (self.worker.cpu_seconds() if alive else 0.0)

    def kill(self) -> None:
        self.cpu_ended += self.worker.cpu_seconds()
        self.worker.kill()


@dataclass
class Fleet(Cluster):
    """A dev server and worker hosts sharing one data directory (durability's ``Cluster``,
    whose ``worker`` is host 1's, with the other hosts and the network beside it)."""

    hosts: list[Host] = field(default_factory=list)
    network: Network | None = None
    #: Seconds per legal day of the cases this fleet starts.
    day: float = LEGAL_DAY_SECONDS

    async def start_cases(self, todo: Sequence[Plan]) -> list[str]:
        gate = asyncio.Semaphore(16)

        async def one(p: Plan) -> str:
            async with gate:
                handle = await start(
                    self.client, self.directory, p, self.worker.task_queue, self.day
                )
                return handle.id

        return list(await asyncio.gather(*(one(p) for p in todo)))

    def host(self, index: int) -> Host:
        return next(h for h in self.hosts if h.index == index)

    def host_of(self, identity: str) -> str:
        """Which host a worker identity (``<pid>@<hostname>``) is, or the identity itself."""
        pid = identity.split("@", 1)[0]
        for h in self.hosts:
            if pid.isdigit() and int(pid) in h.pids:
                return f"host {h.index}"
        return identity or NO_IDENTITY


def _legisflow() -> str:
    return str(Path(sys.executable).parent / "legisflow")


@contextlib.asynccontextmanager
async def fleet(
    root: Path,
    directory: Directory,
    *,
    hosts: int,
    day: float,
    log: Callable[[str], None] = lambda _: None,
    prefix: str = "lf",
) -> AsyncIterator[Fleet]:
    """``hosts`` worker hosts, each ``legisflow worker`` in its own namespace, and the dev
    server in the root namespace; all torn down on the way out (the workers first, then the
    server, then the namespaces)."""
    with Network(hosts, prefix=prefix) as net:
        # On every address: each host reaches it at its own link's gateway (localdev/netns.py
        # says why not on those addresses alone). For the run's length, its ports are open
        # to the machine's other networks too.
        port = free_port()
        server = DevServer(root / "server", address=f"0.0.0.0:{port}")
        data_dir = root / "data"
        members = []
        for link in net.hosts:
            worker = WorkerProcess(
                f"{link.root_ip}:{port}",
                f"fleet-{root.name}",
                data_dir,
                command=net.command(link.index, [_legisflow(), "worker"]),
            )
            worker.log_path = root / f"host{link.index}.log"  # not the shared data dir
            members.append(Host(link.index, link, worker))
        try:
            server.start()
            signer = stand_in_signer()
            client = await server.connect(signer=signer)
            for h in members:
                h.start()
            for h in members:
                await h.worker.wait_polling(client, timeout=60)
            log(f"{hosts} hosts {[(h.link.namespace, h.pids) for h in members if h.link]}")
            yield Fleet(
                root,
                directory,
                server,
                members[0].worker,
                Connection(client),
                FilesystemDocumentStore(data_dir / "documents"),
                log,
                signer,
                hosts=members,
                network=net,
                day=day,
            )
        finally:
            for h in members:
                if h.index in net.cut_hosts:
                    net.restore(h.index)  # a SIGTERMed worker says goodbye to the server
                h.worker.stop()
            server.stop()


@contextlib.asynccontextmanager
async def reference_cluster(
    root: Path, directory: Directory, *, day: float, log: Callable[[str], None] = lambda _: None
) -> AsyncIterator[Fleet]:
    """The uninterrupted reference: one worker, loopback, nothing cut or killed."""

    def one_host(*parts: Any) -> Fleet:
        made = Fleet(*parts)
        made.day = day
        return made

    async with running(root, directory, one_host, log=log, queue="reference") as ref:
        ref.hosts = [Host(0, None, ref.worker, pids=[ref.worker.pid])]
        yield ref


# ---- what the histories say each host did -------------------------------------------------------


def _seconds(ts: Timestamp) -> float:
    return ts.seconds + ts.nanos / 1e9


@dataclass
class HostWork:
    """Tasks one host started, by phase of the run, read from the histories."""

    workflow_tasks: Counter[str] = field(default_factory=Counter)
    #: Workflow tasks handed to it that it never completed (start-to-close timed out).
    workflow_tasks_timed_out: Counter[str] = field(default_factory=Counter)
    #: Activities whose recorded attempt it ran (an attempt retried leaves no event).
    activities: Counter[str] = field(default_factory=Counter)


@dataclass
class HistoryScan:
    """Every history on the fleet's server: what each host did, and what went wrong."""

    executions: int = 0
    events: int = 0
    work: dict[str, HostWork] = field(default_factory=dict)
    #: Workflow tasks that failed, by cause and workflow type: e.g. FORCE_CLOSE_COMMAND, a
    #: task the server failed because it terminated the workflow (a consultation request
    #: closed with its case by the parent close policy) while the task was out.
    workflow_task_failures: Counter[str] = field(default_factory=Counter)
    #: ``workflow id: message`` of every workflow task that failed on nondeterminism.
    nondeterminism: list[str] = field(default_factory=list)
    #: Workflow tasks that waited in a host's sticky queue until it timed out.
    sticky_timeouts: int = 0
    #: Activity attempts retried (started more than once), by activity and last timeout.
    activity_retries: Counter[str] = field(default_factory=Counter)
    #: The last failure before a retried attempt that was not a timeout, one per activity.
    activity_failures: dict[str, str] = field(default_factory=dict)
    activity_timeouts: int = 0
    #: Some started events without an identity (``workflow id #event id``), to look at.
    anonymous: list[str] = field(default_factory=list)


def phase_of(t: float, marks: dict[str, float]) -> str:
    """The phase of the run an instant (seconds since the epoch) falls in."""
    if t >= marks.get("killed", math.inf):
        return PHASES[3]
    if t >= marks.get("restored", math.inf):
        return PHASES[2]
    if t >= marks.get("cut", math.inf):
        return PHASES[1]
    return PHASES[0]


async def scan_histories(f: Fleet, marks: dict[str, float]) -> HistoryScan:
    """Read every workflow execution on the fleet's server (cases, their children, the
    monitoring they start; every run): the tasks each host started, workflow tasks that
    failed (and why), above all on nondeterminism."""
    scan = HistoryScan()
    client = f.client
    executions = [(w.id, w.run_id, w.workflow_type) async for w in client.list_workflows()]
    gate = asyncio.Semaphore(8)

    async def one(workflow_id: str, run_id: str, workflow_type: str) -> None:
        async with gate:
            events = [
                e
                async for e in client.get_workflow_handle(
                    workflow_id, run_id=run_id
                ).fetch_history_events()
            ]
        scan.executions += 1
        scan.events += len(events)
        started_by: dict[int, str] = {}
        activity_types: dict[int, str] = {}
        # A workflow task the server dispatched for an Update (speculative) is recorded with
        # no identity on its started event; the worker that completed it names itself.
        completed_by = {
            e.workflow_task_completed_event_attributes.started_event_id: (
                e.workflow_task_completed_event_attributes.identity
            )
            for e in events
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        }
        for e in events:
            at = _seconds(e.event_time)
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                identity = e.workflow_task_started_event_attributes.identity
                who = f.host_of(identity or completed_by.get(e.event_id, ""))
                started_by[e.event_id] = who
                if who == NO_IDENTITY and len(scan.anonymous) < 10:
                    scan.anonymous.append(f"{workflow_id}#{e.event_id}")
                scan.work.setdefault(who, HostWork()).workflow_tasks[phase_of(at, marks)] += 1
            elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
                timed_out = e.workflow_task_timed_out_event_attributes
                if timed_out.started_event_id:
                    who = started_by.get(timed_out.started_event_id, "?")
                    work = scan.work.setdefault(who, HostWork())
                    work.workflow_tasks_timed_out[phase_of(at, marks)] += 1
                else:
                    scan.sticky_timeouts += 1
            elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                failed = e.workflow_task_failed_event_attributes
                cause = WorkflowTaskFailedCause.Name(failed.cause)
                cause = cause.removeprefix("WORKFLOW_TASK_FAILED_CAUSE_")
                scan.workflow_task_failures[f"{cause} ({workflow_type})"] += 1
                message = failed.failure.message
                if failed.cause == NONDETERMINISTIC or "nondetermin" in message.lower():
                    scan.nondeterminism.append(f"{workflow_id}: {message[:300]}")
            elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                activity_types[e.event_id] = (
                    e.activity_task_scheduled_event_attributes.activity_type.name
                )
            elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                started = e.activity_task_started_event_attributes
                who = f.host_of(started.identity)
                scan.work.setdefault(who, HostWork()).activities[phase_of(at, marks)] += 1
                if started.attempt > 1:
                    kind = activity_types.get(started.scheduled_event_id, "?")
                    why = started.last_failure.timeout_failure_info.timeout_type
                    reason = "timeout" if why else "failure"
                    scan.activity_retries[f"{kind}:{reason}"] += started.attempt - 1
                    if not why:
                        message = started.last_failure.message
                        scan.activity_failures.setdefault(kind, message[:300])
            elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
                scan.activity_timeouts += 1

    await asyncio.gather(*(one(*execution) for execution in executions))
    return scan


async def polls_since(f: Fleet, host: Host, since: float) -> bool:
    """Whether the server has had a poll from ``host``'s current process after ``since``
    (seconds since the epoch), on the task queue's workflow or activity side."""
    me = f"{host.worker.pid}@"
    for kind in (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY):
        resp = await f.client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=f.client.namespace,
                task_queue=TaskQueue(name=host.worker.task_queue),
                task_queue_type=kind,
            )
        )
        if any(
            p.identity.startswith(me) and _seconds(p.last_access_time) > since for p in resp.pollers
        ):
            return True
    return False


# ---- the run ------------------------------------------------------------------------------------


@dataclass
class FleetReport:
    """What the run did and what it left behind; ``problems`` empty is the verdict."""

    hosts: int
    cases: int
    legal_day_seconds: float
    seconds: dict[str, float]
    #: CPU of each process from the first case's start to the last case's end: the dev
    #: server, this driver, each host (all the processes that served as it).
    cpu_seconds: dict[str, float]
    timeline: list[dict[str, Any]]
    rejoin_seconds: float | None
    per_host: dict[str, dict[str, Any]]
    counts: dict[str, Any]
    workflow_task_failures: dict[str, int]
    nondeterminism: list[str]
    lost_and_retried: dict[str, Any]
    driver_retries: dict[str, int]
    longest_pause: float
    load_average: dict[str, list[float]]
    problems: list[str]

    def summary(self) -> str:
        return (
            f"{self.cases} cases on {self.hosts} hosts in {self.seconds.get('run', 0):.1f}s; "
            f"timeline {[t['what'] for t in self.timeline]}; host 1 polled again "
            f"{self.rejoin_seconds}s after its link came back; counts {self.counts}; "
            f"workflow task failures {self.workflow_task_failures}; lost and retried "
            f"{self.lost_and_retried}; {len(self.problems)} problems"
        )

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


async def fleet_run(
    f: Fleet,
    ref: Reference,
    variants: Sequence[Plan],
    *,
    cases: int,
    seed: int,
    cut_seconds: float,
    restart_killed: bool = False,
    concurrency: int | None = None,
    step_timeout: float = 120.0,
    total_timeout: float = 900.0,
) -> FleetReport:
    """Start ``cases`` cases on the fleet, drive them all, cut host 1's link and restore it,
    SIGKILL host 2 (and restart it with ``restart_killed``), and check everything the cases
    left behind against the uninterrupted reference."""
    net = f.network
    assert net is not None, "a fleet in network namespaces"
    assert len(f.hosts) >= 3, "a fleet of three hosts or more"
    rng = random.Random(seed)
    load_start = list(os.getloadavg())
    todo = plans(variants, cases, f"fleet-{seed}")
    cpu_start = _cpu(f)
    t0 = time.monotonic()
    ids = await f.start_cases(todo)
    started = time.monotonic() - t0
    f.log(f"{len(ids)} cases started on {len(f.hosts)} hosts in {started:.1f}s")
    second = math.ceil(cases * SECOND_WAVE)
    first_wave = len(ids) - second
    steps_of = [len(path(ref.of(p))) - 1 for p in todo]
    expected = (sum(steps_of[:first_wave]), sum(steps_of[first_wave:]))
    progress = Progress()
    waves = (Progress(), Progress())
    release = asyncio.Event()
    timeline: list[dict[str, Any]] = []
    marks: dict[str, float] = {}
    rejoin: list[float] = []
    one, two = f.host(1), f.host(2)

    def mark(key: str, what: str) -> None:
        marks[key] = time.time()
        timeline.append(
            {"at_s": round(time.monotonic() - t0, 2), "steps": progress.steps, "what": what}
        )
        f.log(f"fleet: {what} after {progress.steps}/{sum(steps_of)} steps")

    async def reach(wave: int, share: float, after: int = 0) -> None:
        steps = after + max(1, int(expected[wave] * share))
        await waves[wave].reach(steps, total_timeout)

    async def interrupter() -> None:
        await reach(0, CUT_AT)
        await asyncio.sleep(rng.uniform(0, 0.3))  # mid-task, mid-activity or idle
        net.cut(1)
        began = time.monotonic()
        mark("cut", f"host 1's link cut ({net.host(1).root_device} down)")
        # Held until the other hosts have carried the fleet on: the condition that shows it.
        await reach(0, CARRIED, after=waves[0].steps)
        # And for the scenario's length: past the workflow task timeout (10 s), so tasks
        # handed to host 1 time out and go elsewhere.
        await asyncio.sleep(max(0.0, cut_seconds - (time.monotonic() - began)))
        net.restore(1)
        mark("restored", f"host 1's link restored after {time.monotonic() - began:.1f}s")
        since = marks["restored"]
        await until(
            "host 1 polling again after its link came back",
            lambda: polls_since(f, one, since),
            timeout=REJOIN_TIMEOUT,
            poll=0.5,
        )
        rejoin.append(time.time() - since)
        mark("rejoined", f"host 1 polling again {rejoin[0]:.1f}s after the restore")
        release.set()
        mark("second wave", f"second wave of {second} cases driven")
        await reach(1, KILL_AT)
        await asyncio.sleep(rng.uniform(0, 0.3))
        two.kill()
        mark("killed", f"host 2 SIGKILLed (pid {two.pids[-1]})")
        if restart_killed:
            two.start()
            await two.worker.wait_polling(f.client, timeout=60)
            mark("restarted", f"host 2 restarted (pid {two.pids[-1]})")

    gate = asyncio.Semaphore(concurrency or len(ids) or 1)

    async def one_case(i: int, cid: str, p: Plan) -> None:
        wave = 0 if i < first_wave else 1
        if wave:
            await release.wait()

        def stepped(case_id: str) -> None:
            progress.step(case_id)
            waves[wave].step(case_id)

        async with gate:
            await drive(
                f.conn,
                cid,
                p.definition,
                f.store,
                step_timeout=step_timeout,
                total_timeout=total_timeout,
                on_step=stepped,
                log=f.log,
            )

    timeline_task = asyncio.create_task(interrupter())
    drives = asyncio.gather(
        *(one_case(i, cid, p) for i, (cid, p) in enumerate(zip(ids, todo, strict=True)))
    )
    try:
        # Whichever fails first (a driver, or the timeline: host 1 never back) fails the run
        # at once; every wait in either is bounded.
        await asyncio.gather(timeline_task, drives)
        results = {cid: await result_of(f.conn, cid, step_timeout) for cid in ids}
        cpu_end = _cpu(f)
    except BaseException:
        timeline_task.cancel()
        drives.cancel()
        await f.save_unfinished(ids)
        raise
    run_seconds = time.monotonic() - t0
    c0 = time.monotonic()
    left = await Leftovers.gather(f.client, f.data_dir, ids, timeout=step_timeout)
    scan = await scan_histories(f, marks)
    problems: list[str] = []
    for cid, p in zip(ids, todo, strict=True):
        problems += check_case(cid, results[cid], ref.of(p), left, ref.left)
    problems += await _not_completed(f.client, ids)
    problems += [f"nondeterminism: {n}" for n in scan.nondeterminism]
    counts = _counts(ids, todo, results, left, ref)
    problems += _total_problems(counts)
    check_seconds = time.monotonic() - c0
    report = FleetReport(
        hosts=len(f.hosts),
        cases=len(ids),
        legal_day_seconds=f.day,
        seconds={
            "start": round(started, 1),
            "run": round(run_seconds, 1),
            "checks": round(check_seconds, 1),
        },
        cpu_seconds={k: round(cpu_end[k] - cpu_start.get(k, 0.0), 1) for k in cpu_end},
        timeline=timeline,
        rejoin_seconds=round(rejoin[0], 1) if rejoin else None,
        per_host=_per_host(f, scan),
        counts={**counts, "histories": scan.executions, "events": scan.events},
        workflow_task_failures=dict(scan.workflow_task_failures),
        nondeterminism=scan.nondeterminism,
        lost_and_retried={
            "workflow_tasks_timed_out": sum(
                sum(w.workflow_tasks_timed_out.values()) for w in scan.work.values()
            ),
            "sticky_queue_timeouts": scan.sticky_timeouts,
            "activity_attempts_retried": dict(scan.activity_retries),
            "activity_failures_before_a_retry": scan.activity_failures,
            "activities_timed_out_for_good": scan.activity_timeouts,
            "workflow_tasks_started_without_identity": scan.anonymous,
        },
        driver_retries=dict(f.conn.retries),
        longest_pause=progress.longest_pause(),
        load_average={"start": load_start, "end": list(os.getloadavg())},
        problems=problems,
    )
    f.log(report.summary())
    return report


def _cpu(f: Fleet) -> dict[str, float]:
    """CPU seconds so far of the server, the driver (this process) and each host."""
    assert f.server.proc is not None
    times = os.times()
    cpu = {"server": process_cpu_seconds(f.server.proc.pid), "driver": times.user + times.system}
    return cpu | {f"host {h.index}": h.cpu_seconds() for h in f.hosts}


async def _not_completed(client: Client, ids: Sequence[str]) -> list[str]:
    problems = []
    for cid in ids:
        desc = await client.get_workflow_handle(cid).describe()
        if desc.status != WorkflowExecutionStatus.COMPLETED:
            problems.append(f"{cid}: {desc.status.name if desc.status else '?'}, not completed")
    return problems


def _counts(
    ids: Sequence[str],
    todo: Sequence[Plan],
    results: dict[str, CaseResult],
    left: Leftovers,
    ref: Reference,
) -> dict[str, Any]:
    """Totals over the cases, each beside what the histories meant and what the
    uninterrupted runs of the same variants did."""
    intents = [i for cid in ids for i in left.intents.get(cid, [])]
    delivered = [k for cid in ids for k in left.notices.get(cid, [])]
    ref_id = {p.variant: ref.of(p).case_id for p in todo}

    def stable(case_intents: Sequence[Any]) -> int:
        return sum(1 for i in case_intents if i.kind not in TIMING_KINDS)

    return {
        "cases": len(ids),
        "completed_at_expected_stage": sum(
            1 for cid, p in zip(ids, todo, strict=True) if results[cid].stage == ref.of(p).stage
        ),
        "final_stages": dict(Counter(results[cid].stage for cid in ids)),
        "notifications_delivered": len(delivered),
        "distinct_notification_keys": len(set(delivered)),
        "notifications_recorded_as_sent": sum(1 for i in intents if i.state == PERFORMED),
        "notifications_withdrawn": sum(1 for i in intents if i.state == WITHDRAWN),
        "notifications_not_timing_dependent": sum(stable(left.intents.get(cid, [])) for cid in ids),
        "reference_notifications_not_timing_dependent": sum(
            stable(ref.left.intents.get(ref_id[p.variant], [])) for p in todo
        ),
        "document_versions": sum(len(left.versions.get(cid, [])) for cid in ids),
        "reference_document_versions": sum(
            len(ref.left.versions.get(ref_id[p.variant], [])) for p in todo
        ),
        "publications": sum(len(left.postings.get(cid, [])) for cid in ids),
    }


def _total_problems(counts: dict[str, Any]) -> list[str]:
    """The totals must agree with each other; per case, ``check_case`` has said where."""
    pairs = [
        ("completed_at_expected_stage", "cases"),
        ("distinct_notification_keys", "notifications_delivered"),
        ("notifications_not_timing_dependent", "reference_notifications_not_timing_dependent"),
        ("document_versions", "reference_document_versions"),
    ]
    return [f"total {a} {counts[a]} != {b} {counts[b]}" for a, b in pairs if counts[a] != counts[b]]


def _per_host(f: Fleet, scan: HistoryScan) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for h in f.hosts:
        name = f"host {h.index}"
        work = scan.work.get(name, HostWork())
        out[name] = {
            "namespace": h.link.namespace if h.link else None,
            "address": h.link.host_ip if h.link else None,
            "pids": h.pids,
            "workflow_tasks": {ph: work.workflow_tasks[ph] for ph in PHASES},
            "workflow_tasks_timed_out": {ph: work.workflow_tasks_timed_out[ph] for ph in PHASES},
            "activities": {ph: work.activities[ph] for ph in PHASES},
        }
    others = {k: v for k, v in scan.work.items() if not k.startswith("host ")}
    for name, work in others.items():
        out[name] = {
            "workflow_tasks": dict(work.workflow_tasks),
            "activities": dict(work.activities),
        }
    return out
