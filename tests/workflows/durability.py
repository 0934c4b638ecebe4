"""Machinery for the crash and restart proofs (tests/workflows/test_durability.py and
bench/crash.py): a dev server that can be stopped and restarted on its SQLite file, workers
as separate ``legisflow worker`` processes that can be SIGKILLed, cases driven by the
walkthrough from the outside, and the checks on what the cases left behind (audit trails,
document versions, notifications, publications).

Every wait here is on a condition (a poller seen, a port answering, a stage reached) with a
bound; nothing sleeps hoping something will have happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from temporalio.api.enums.v1 import EventType, TimeoutType
from temporalio.client import (
    Client,
    RPCTimeoutOrCancelledError,
    WorkflowExecutionStatus,
    WorkflowHandle,
)
from temporalio.service import RPCError

from activities.filesystem_store import FilesystemDocumentStore
from client.cases import start_case
from client.errors import CaseError
from identity.signers import DeskSigner
from localdev.devserver import DevServer
from localdev.processes import WorkerProcess, until
from localdev.stand_in import stand_in_signer
from localdev.walkthrough import WalkTimeout, walk
from models.actors import Directory, first_staffed_drafter
from models.case import CaseResult, CaseStatus, SimplifiedDecision
from models.definition import ProcessDefinition
from models.deliveries import Notification
from models.registry import DEFAULT_REGIME, Registry
from models.starting import StartRequest
from tests.history_effects import intended, item_errors
from workflows.drafting.consultation_request import ConsultInput

#: A legal day of 50 ms: a 30-day consultation lasts 1.5 s.
LEGAL_DAY_SECONDS = 0.05

#: (actor, action, from stage, to stage) of one audit entry.
Step = tuple[str, str, str | None, str]

#: Notifications whose number depends on timing (reminders before, notices after a deadline).
TIMING_KINDS = frozenset(
    {
        "reminder",
        "overdue",
        "period_elapsed",
        "effect_failed",
        "consultation_reminder",
        "consultation_overdue",
    }
)


# ---- cases --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """One case to run: which procedure, by whom, under which procedure variant."""

    definition: ProcessDefinition
    starter: str
    simplified_by: str | None
    slug: str

    @property
    def variant(self) -> str:
        return f"{self.definition.key}:{'simplified' if self.simplified_by else 'normal'}"


def staffed_variants(registry: Registry, directory: Directory) -> list[Plan]:
    """One plan per (definition, procedure) a drafting agency of the directory can staff
    entirely, in registry order (slugs are filled in by ``plans``)."""
    out = []
    for d in registry:
        starter = first_staffed_drafter(directory, d)
        if starter is None:
            continue
        out.append(Plan(d, starter, None, ""))
        assignments = directory.assign_roles(d, directory.person(starter).agency)
        if d.simplified is not None and assignments.get(d.simplified.decided_by):
            out.append(Plan(d, starter, assignments[d.simplified.decided_by][0].id, ""))
    return out


def spread(variants: Sequence[Plan], k: int | None) -> list[Plan]:
    """At most ``k`` variants of the default regime, spread over its document types and both
    procedures (all of them when ``k`` is None)."""
    if k is None:
        return list(variants)
    default = [v for v in variants if v.definition.regime == DEFAULT_REGIME] or list(variants)
    # Types with written consultations first: they exercise child workflows too.
    default.sort(key=lambda v: not any(s.consults for s in v.definition.stages.values()))
    step = max(1, len(default) // k)
    return default[::step][:k]


def plans(variants: Sequence[Plan], n: int, prefix: str) -> list[Plan]:
    """``n`` cases cycling through ``variants``."""
    return [
        Plan(v.definition, v.starter, v.simplified_by, f"{prefix}-{i:04d}")
        for i, v in zip(range(n), _cycle(variants), strict=False)
    ]


def _cycle(items: Sequence[Plan]) -> Iterable[Plan]:
    while True:
        yield from items


async def start(
    client: Client,
    directory: Directory,
    plan: Plan,
    task_queue: str,
    legal_day_seconds: float = LEGAL_DAY_SECONDS,
) -> WorkflowHandle[object, CaseResult]:
    simplified = (
        SimplifiedDecision(decided_by=plan.simplified_by, reason="Khẩn cấp (durability test)")
        if plan.simplified_by
        else None
    )
    handle = await start_case(
        client,
        directory,
        StartRequest(
            definition=plan.definition,
            title=f"Durability {plan.slug}",
            starter=plan.starter,
            slug=plan.slug,
            legal_day_seconds=legal_day_seconds,
            simplified=simplified,
        ),
        task_queue=task_queue,
    )
    return handle  # type: ignore[return-value]


@dataclass
class Connection:
    """The client the drivers use; replaced by a new one after a server restart."""

    client: Client
    up: asyncio.Event = field(default_factory=asyncio.Event)
    retries: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.up.set()


#: What a driver retries after: the server or the worker went away mid-call, a call or a
#: wait outlasted an outage, or an action raced a duplicate of itself (refused: nothing was
#: written). Anything else (a workflow task failing, a query failing) fails the run.
RETRYABLE: tuple[type[BaseException], ...] = (
    RPCError,
    RPCTimeoutOrCancelledError,
    WalkTimeout,
    CaseError,
)


async def drive(
    conn: Connection,
    case_id: str,
    definition: ProcessDefinition,
    store: FilesystemDocumentStore,
    *,
    step_timeout: float,
    total_timeout: float,
    on_step: Callable[[str], None] | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> CaseStatus:
    """Walk the case to its first final stage with ``walkthrough.walk``, starting over from
    wherever the case is whenever the server or the worker disappears under it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + total_timeout

    def stepped(*_: object) -> None:
        if on_step is not None:
            on_step(case_id)

    while True:
        await conn.up.wait()
        try:
            return await walk(
                conn.client,
                case_id,
                definition,
                store,
                timeout=step_timeout,
                on_step=stepped,
            )
        except RETRYABLE as err:
            conn.retries[type(err).__name__] += 1
            log(f"{case_id}: walking again after {type(err).__name__}: {str(err)[:200]}")
            if loop.time() > deadline:
                raise TimeoutError(f"{case_id}: not final within {total_timeout}s") from err
            await asyncio.sleep(0.1)


async def result_of(conn: Connection, case_id: str, timeout: float) -> CaseResult:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        await conn.up.wait()
        try:
            handle = conn.client.get_workflow_handle(case_id, result_type=CaseResult)
            return await asyncio.wait_for(handle.result(), timeout=max(1.0, deadline - loop.time()))
        except RETRYABLE as err:
            conn.retries[type(err).__name__] += 1
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.1)


# ---- what the cases left behind -----------------------------------------------------------------


def path(result: CaseResult) -> list[Step]:
    """The stage changes and who made them (start, decisions, automatic transitions).

    Entries within a stage (from == to) depend on timing, not on what people did: the
    system records breaches and late replies, and a consulted body's reply is only sent by
    the walkthrough while its deadline (a few legal days, a fraction of a second here) has
    not passed. Stage changes and who made them are what must not differ."""
    return [
        (e.actor, e.action, e.from_stage, e.to_stage)
        for e in result.audit
        if e.from_stage != e.to_stage
    ]


@dataclass
class Leftovers:
    """What the worker processes wrote in the data directory, per case, and what the
    workflows' histories say they meant to send (``intents``, see :class:`Intent`)."""

    notices: dict[str, list[str]]  # case id -> notification keys
    kinds: dict[str, Counter[str]]  # case id -> notification kinds
    files_per_key: Counter[str]
    versions: dict[str, list[int]]  # case id -> version numbers on disk
    postings: dict[str, list[str]]  # case id -> publication keys
    intents: dict[str, list[Intent]] = field(default_factory=dict)  # case id -> notices meant

    @classmethod
    def read(cls, data_dir: Path, case_ids: Iterable[str]) -> Leftovers:
        notices: dict[str, list[str]] = {}
        kinds: dict[str, Counter[str]] = {}
        files_per_key: Counter[str] = Counter()
        outbox = data_dir / "outbox"
        for p in sorted(outbox.glob("*.json")) if outbox.is_dir() else []:
            msg = json.loads(p.read_bytes())
            files_per_key[msg["key"]] += 1
            notices.setdefault(msg["case_id"], []).append(msg["key"])
            kinds.setdefault(msg["case_id"], Counter())[msg["kind"]] += 1
        postings: dict[str, list[str]] = {}
        pubs = data_dir / "publications"
        for p in sorted(pubs.glob("*/*.json")) if pubs.is_dir() else []:
            post = json.loads(p.read_bytes())
            files_per_key[post["key"]] += 1
            postings.setdefault(post["case_id"], []).append(post["key"])
        store = FilesystemDocumentStore(data_dir / "documents")
        versions = {cid: [v.version for v in store.list_versions(cid)] for cid in case_ids}
        return cls(notices, kinds, files_per_key, versions, postings)

    @classmethod
    async def gather(
        cls, client: Client, data_dir: Path, case_ids: Sequence[str], timeout: float = 60.0
    ) -> Leftovers:
        """The data directory and the histories, once every workflow of the cases (but
        those that outlive them) has closed."""
        intents = {cid: await notice_intents(client, cid, timeout=timeout) for cid in case_ids}
        left = cls.read(data_dir, case_ids)
        left.intents = intents
        return left


# ---- what the histories say was meant -----------------------------------------------------------

#: Workflows a case starts that outlive it (ParentClosePolicy.ABANDON): their notices carry
#: their own id as ``case_id`` and they keep running after the case's checks.
OUTLIVING = frozenset({"DocumentMonitoring"})
#: The consultation request's first notice, sent as it starts
#: (workflows/drafting/consultation_request.py: ``<request id>/001-consultation_request``).
FIRST_CONSULT_NOTICE = "consultation_request"

PERFORMED, WITHDRAWN, FAILED, OPEN = "performed", "withdrawn", "failed", "open"


@dataclass(frozen=True)
class Intent:
    """One notice a workflow of the case meant to send, as that workflow's history records it.

    - ``performed``: its ``send_notification`` activity (or its item of a case's
      ``carry_out_effects``, tests/history_effects.py) completed: it was delivered, and
      must be found in the outbox exactly once;
    - ``withdrawn``: the case withdrew the request that meant it before it was sent. A
      transition that closes the consultation cancels every unanswered
      ``ConsultationRequest`` child (workflows/drafting/consultations.py ``close_all``, the
      ``CancelRequest`` effect); the child's history then records the cancellation request
      and ends cancelled with the notice's activity scheduled but not completed, or, if the
      child had not run yet, before it scheduled its first notice at all (the intent is then
      the child's first notice, which its code sends to its body's holders before anything
      else). A child still running when the case ends (an answered request whose notice a
      crash delayed, or one whose cancellation the case's end overtook) is terminated by its
      parent close policy, which its history records as the reason. An attempt already
      running when the cancellation came may still deliver the notice: at most once;
    - ``failed``: the activity, or its item of a batch, failed for good (the case reports
      ``effect_failed``);
    - ``open``: no outcome, in a workflow that was not withdrawn.
    """

    key: str
    kind: str
    workflow_id: str
    state: str


@dataclass
class _Run:
    workflow_type: str = ""
    closed: bool = False
    withdrawn: bool = False
    next_run: str = ""
    #: The first run of the chain, if this one was continued from another.
    first_run: str = ""
    started_input: list[object] = field(default_factory=list)
    children: list[tuple[str, str]] = field(default_factory=list)
    intents: list[Intent] = field(default_factory=list)


_ENDS = {
    f"workflow_execution_{end}_event_attributes": end
    for end in ("completed", "failed", "timed_out", "canceled")
}


async def _read_run(client: Client, workflow_id: str, run_id: str | None) -> _Run:
    run = _Run()
    scheduled: dict[int, list[tuple[int | None, Notification]]] = {}
    outcome: dict[int, str] = {}
    errors: dict[int, list[str | None]] = {}  # per item of a completed batch
    cancel_requested = closed_with_case = False
    ended = ""
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    async for e in handle.fetch_history_events():
        which = e.WhichOneof("attributes")
        if which == "workflow_execution_started_event_attributes":
            started = e.workflow_execution_started_event_attributes
            run.workflow_type = started.workflow_type.name
            if started.continued_execution_run_id:
                run.first_run = started.first_execution_run_id
            if run.workflow_type == "ConsultationRequest":
                run.started_input = await client.data_converter.decode(
                    started.input.payloads, [ConsultInput]
                )
        elif which == "activity_task_scheduled_event_attributes":
            notices = await intended(
                client, e.activity_task_scheduled_event_attributes, Notification
            )
            if notices:
                scheduled[e.event_id] = notices
        elif which == "activity_task_completed_event_attributes":
            done = e.activity_task_completed_event_attributes
            outcome[done.scheduled_event_id] = PERFORMED
            if (
                done.scheduled_event_id in scheduled
                and scheduled[done.scheduled_event_id][0][0] is not None
            ):
                errors[done.scheduled_event_id] = await item_errors(client, done)
        elif which == "activity_task_failed_event_attributes":
            outcome[e.activity_task_failed_event_attributes.scheduled_event_id] = FAILED
        elif which == "activity_task_timed_out_event_attributes":
            outcome[e.activity_task_timed_out_event_attributes.scheduled_event_id] = FAILED
        elif which == "activity_task_canceled_event_attributes":
            outcome[e.activity_task_canceled_event_attributes.scheduled_event_id] = WITHDRAWN
        elif which == "child_workflow_execution_started_event_attributes":
            child = e.child_workflow_execution_started_event_attributes
            if child.workflow_type.name not in OUTLIVING:
                ex = child.workflow_execution
                run.children.append((ex.workflow_id, ex.run_id))
        elif which == "workflow_execution_cancel_requested_event_attributes":
            cancel_requested = True
        elif which == "workflow_execution_terminated_event_attributes":
            reason = e.workflow_execution_terminated_event_attributes.reason
            closed_with_case = "parent close policy" in reason.lower()
            ended = "terminated"
        elif which == "workflow_execution_continued_as_new_event_attributes":
            run.next_run = (
                e.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
            )
            ended = "continued"
        elif which in _ENDS:
            ended = _ENDS[which]
    run.closed = bool(ended)
    run.withdrawn = (cancel_requested and ended in ("canceled", "terminated")) or (
        ended == "terminated" and closed_with_case
    )
    for event_id, notices in scheduled.items():
        for index, notice in notices:
            state = outcome.get(event_id, WITHDRAWN if run.withdrawn else OPEN)
            if index is not None and event_id in errors and errors[event_id][index] is not None:
                state = FAILED  # the batch completed, this item of it could not be done
            run.intents.append(Intent(notice.key, notice.kind, workflow_id, state))
    if run.withdrawn and not scheduled and run.started_input:
        [inp] = run.started_input
        assert isinstance(inp, ConsultInput)
        if inp.holders:
            key = f"{inp.request_id}/001-{FIRST_CONSULT_NOTICE}"
            run.intents.append(Intent(key, FIRST_CONSULT_NOTICE, workflow_id, WITHDRAWN))
    return run


async def notice_intents(client: Client, case_id: str, *, timeout: float = 60.0) -> list[Intent]:
    """Every notice the case and the workflows it started (every run of each, but not those
    that outlive it) meant to send, read once all of them have closed: a child withdrawn as
    the case ended may still be closing (its parent's close policy applies after the case
    has completed)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        intents: list[Intent] = []
        still_open: list[str] = []
        todo: list[tuple[str, str | None]] = [(case_id, None)]
        while todo:
            workflow_id, run_id = todo.pop(0)
            run = await _read_run(client, workflow_id, run_id)
            if run_id is None and run.first_run:
                # The first run, wherever the chain of continue-as-new now is.
                run = await _read_run(client, workflow_id, run.first_run)
            intents += run.intents
            if not run.closed:
                still_open.append(workflow_id)
            todo += run.children
            if run.next_run:
                todo.append((workflow_id, run.next_run))
        if not still_open:
            return intents
        if loop.time() > deadline:
            raise TimeoutError(f"{case_id}: {still_open} not closed within {timeout:.0f}s")
        await asyncio.sleep(0.1)


def check_case(
    case_id: str,
    result: CaseResult,
    reference: CaseResult,
    left: Leftovers,
    ref_left: Leftovers,
) -> list[str]:
    """Problems with one case compared with an uninterrupted run of the same variant."""
    problems = []
    ref_id = reference.case_id
    if path(result) != path(reference):
        problems.append(f"{case_id}: path {path(result)} != uninterrupted {path(reference)}")
    if result.stage != reference.stage:
        problems.append(f"{case_id}: ended in {result.stage}, uninterrupted in {reference.stage}")
    # Document versions: numbered 1..n on disk, one per document the case recorded, as many
    # as the uninterrupted run.
    on_disk = left.versions.get(case_id, [])
    if on_disk != list(range(1, len(result.documents) + 1)):
        problems.append(f"{case_id}: versions on disk {on_disk}, case has {len(result.documents)}")
    if len(on_disk) != len(ref_left.versions.get(ref_id, [])):
        problems.append(
            f"{case_id}: {len(on_disk)} versions, uninterrupted "
            f"{len(ref_left.versions.get(ref_id, []))}"
        )
    problems += notice_problems(case_id, left)
    # As many notices of each kind that does not depend on timing as the uninterrupted run
    # meant to send: delivered, or withdrawn (its own run may have withdrawn some too).
    mine = _stable(Counter(i.kind for i in left.intents.get(case_id, [])))
    theirs = _stable(Counter(i.kind for i in ref_left.intents.get(ref_id, [])))
    if mine != theirs:
        problems.append(
            f"{case_id}: notices meant (delivered or withdrawn) by kind {mine} != "
            f"uninterrupted {theirs}; withdrawn: {_withdrawn(left, case_id)}, uninterrupted "
            f"withdrawn: {_withdrawn(ref_left, ref_id)}"
        )
    posts = left.postings.get(case_id, [])
    if len(posts) != len(set(posts)) or any(left.files_per_key[k] != 1 for k in posts):
        problems.append(f"{case_id}: publications duplicated: {posts}")
    if len(posts) != len(ref_left.postings.get(ref_id, [])):
        problems.append(
            f"{case_id}: {len(posts)} publications, uninterrupted "
            f"{len(ref_left.postings.get(ref_id, []))}"
        )
    return problems


def notice_problems(case_id: str, left: Leftovers) -> list[str]:
    """Per idempotency key, what the histories meant against what the outbox holds: every
    notice performed delivered exactly once, every withdrawn one at most once, nothing
    delivered that no history meant, nothing left failed or open, and each sender's
    numbering without gap or repeat (a gap is a notice its workflow never meant)."""
    problems = []
    intents = left.intents.get(case_id, [])
    delivered = left.notices.get(case_id, [])
    meant = Counter(i.key for i in intents)
    twice = sorted(k for k, n in meant.items() if n > 1)
    if twice:
        problems.append(f"{case_id}: notices meant more than once (same key): {twice}")
    lost = sorted(i.key for i in intents if i.state == PERFORMED and left.files_per_key[i.key] < 1)
    if lost:
        problems.append(f"{case_id}: notices recorded as sent but not delivered: {lost}")
    duplicated = sorted({k for k in delivered if left.files_per_key[k] > 1})
    if duplicated:
        problems.append(f"{case_id}: notifications delivered more than once: {duplicated}")
    stray = sorted(set(delivered) - set(meant))
    if stray:
        problems.append(f"{case_id}: notifications delivered that no history meant: {stray}")
    undone = sorted((i.key, i.state) for i in intents if i.state in (FAILED, OPEN))
    if undone:
        problems.append(f"{case_id}: notices neither delivered nor withdrawn: {undone}")
    return problems + _sequence_problems(case_id, list(meant))


def _withdrawn(left: Leftovers, case_id: str) -> list[str]:
    return sorted(i.key for i in left.intents.get(case_id, []) if i.state == WITHDRAWN)


def _stable(kinds: Counter[str]) -> dict[str, int]:
    return {k: n for k, n in sorted(kinds.items()) if k not in TIMING_KINDS}


def _sequence_problems(case_id: str, keys: Sequence[str]) -> list[str]:
    """Each sender numbers its notices 1, 2, 3…: the case ``<id>/00001-kind``, a consultation
    request ``<request id>/001-kind``. A gap is a lost notice; a repeat, a duplicate."""
    by_sender: dict[str, list[int]] = {}
    for key in keys:
        sender, _, last = key.rpartition("/")
        number = last.split("-", 1)[0]
        if number.isdigit():
            by_sender.setdefault(sender, []).append(int(number))
    return [
        f"{case_id}: notices of {sender} numbered {sorted(nums)}"
        for sender, nums in by_sender.items()
        if sorted(nums) != list(range(1, len(nums) + 1))
    ]


# ---- a server, a worker process, and the cases they run ---------------------------------------


@dataclass
class Cluster:
    """A dev server and one ``legisflow worker`` process sharing a data directory."""

    root: Path
    directory: Directory
    server: DevServer
    worker: WorkerProcess
    conn: Connection
    store: FilesystemDocumentStore
    log: Callable[[str], None]
    #: Signs decisions for the people the drivers play (one key for the cluster's life).
    signer: DeskSigner

    @property
    def data_dir(self) -> Path:
        return self.worker.data_dir

    @property
    def client(self) -> Client:
        return self.conn.client

    async def start_cases(self, todo: Sequence[Plan]) -> list[str]:
        ids = []
        for p in todo:
            handle = await start(self.client, self.directory, p, self.worker.task_queue)
            ids.append(handle.id)
        return ids

    async def drive_all(
        self,
        ids: Sequence[str],
        todo: Sequence[Plan],
        *,
        step_timeout: float,
        total_timeout: float,
        on_step: Callable[[str], None] | None = None,
        concurrency: int | None = None,
    ) -> dict[str, CaseResult]:
        """Drive every case to its end (at most ``concurrency`` drivers at a time)."""
        gate = asyncio.Semaphore(concurrency or len(ids) or 1)

        async def one(cid: str, p: Plan) -> None:
            async with gate:
                await drive(
                    self.conn,
                    cid,
                    p.definition,
                    self.store,
                    step_timeout=step_timeout,
                    total_timeout=total_timeout,
                    on_step=on_step,
                    log=self.log,
                )

        await asyncio.gather(*(one(cid, p) for cid, p in zip(ids, todo, strict=True)))
        return {cid: await result_of(self.conn, cid, step_timeout) for cid in ids}

    async def restart_worker(self, *, kill: bool) -> None:
        if kill:
            self.worker.kill()
        else:
            self.worker.stop()
        self.worker.start()
        await self.worker.wait_polling(self.client)

    async def restart_server(self, *, crash: bool = False) -> float:
        """Stop the server (SIGTERM and wait, or SIGKILL with ``crash``) and start it again on
        the same SQLite file and port; drivers wait meanwhile and go on with a new Client.
        Returns the outage."""
        began = time.monotonic()
        self.conn.up.clear()
        self.server.stop(crash=crash)
        self.server.start()
        self.conn.client = await self.server.connect(signer=self.signer)
        self.conn.up.set()
        return time.monotonic() - began

    async def save_unfinished(self, ids: Iterable[str]) -> None:
        with contextlib.suppress(Exception):
            saved = await save_histories(self.client, ids, self.root / "histories")
            self.log(f"histories of unfinished cases: {[str(p) for p in saved]}")


_C = TypeVar("_C", bound=Cluster)


def cluster(
    root: Path, directory: Directory, *, log: Callable[[str], None] = lambda _: None
) -> contextlib.AbstractAsyncContextManager[Cluster]:
    """A dev server and one ``legisflow worker`` on a task queue of their own."""
    return running(root, directory, Cluster, log=log, queue="durability")


@contextlib.asynccontextmanager
async def running(
    root: Path,
    directory: Directory,
    make: Callable[..., _C],
    *,
    log: Callable[[str], None],
    queue: str,
) -> AsyncIterator[_C]:
    """A dev server and one worker on the task queue ``queue-<root's name>``, as ``make``
    (``Cluster``, or a kind of it) holds them."""
    server = DevServer(root / "server")
    data_dir = root / "data"
    worker = WorkerProcess(server.address, f"{queue}-{root.name}", data_dir)
    try:
        server.start()
        signer = stand_in_signer()
        client = await server.connect(signer=signer)
        worker.start()
        await worker.wait_polling(client)
        yield make(
            root,
            directory,
            server,
            worker,
            Connection(client),
            FilesystemDocumentStore(data_dir / "documents"),
            log,
            signer,
        )
    finally:
        worker.stop()
        server.stop()


@dataclass(frozen=True)
class Reference:
    """Uninterrupted runs, one per variant: what every interrupted case must reproduce."""

    results: dict[str, CaseResult]  # variant -> result
    left: Leftovers
    seconds: float

    def of(self, plan: Plan) -> CaseResult:
        return self.results[plan.variant]


async def run_references(c: Cluster, variants: Sequence[Plan]) -> Reference:
    t0 = time.monotonic()
    todo = plans(variants, len(variants), "reference")
    ids = await c.start_cases(todo)
    progress = Progress()
    results = await c.drive_all(
        ids, todo, step_timeout=120, total_timeout=300, on_step=progress.step
    )
    seconds = time.monotonic() - t0
    left = await Leftovers.gather(c.client, c.data_dir, ids)
    c.log(
        f"{len(ids)} uninterrupted reference cases in {seconds:.1f}s; longest pause of a "
        f"case {progress.longest_pause()}s; notices withdrawn "
        f"{[k for cid in ids for k in _withdrawn(left, cid)]}"
    )
    return Reference(
        {p.variant: results[cid] for cid, p in zip(ids, todo, strict=True)}, left, seconds
    )


@dataclass
class Report:
    """What an interrupted run did and what it left behind."""

    scenario: str
    cases: int
    seconds: float
    interruptions: list[str]
    #: Seconds from each interruption until the next step of any case.
    stalls: list[float]
    #: The longest one case waited between two of its steps.
    longest_pause: float
    retries: dict[str, int]
    events: dict[str, int]
    problems: list[str]
    #: Keys of notices the cases withdrew before they were sent (see :class:`Intent`).
    withdrawn: list[str] = field(default_factory=list)

    def summary(self) -> str:
        per_case = self.events.get("events", 0) / max(1, self.cases)
        lost = {k: v for k, v in self.events.items() if k != "events"}
        return (
            f"{self.scenario}: {self.cases} cases in {self.seconds:.1f}s; "
            f"{len(self.interruptions)} interruptions {self.interruptions}; "
            f"stalls {self.stalls}s; longest pause of a case {self.longest_pause}s; "
            f"driver retries {self.retries}; {per_case:.0f} events/case; "
            f"tasks lost and retried {lost}; {len(self.withdrawn)} notices withdrawn "
            f"{self.withdrawn}; {len(self.problems)} problems"
        )


class Progress:
    """Steps taken by the drivers, with their times (to place and measure interruptions)."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.by_case: dict[str, list[float]] = {}

    @property
    def steps(self) -> int:
        return len(self.times)

    def step(self, case_id: str) -> None:
        now = time.monotonic()
        self.times.append(now)
        self.by_case.setdefault(case_id, []).append(now)

    async def reach(self, steps: int, timeout: float) -> None:
        async def reached() -> bool:
            return self.steps >= steps

        await until(f"{steps} steps", reached, timeout=timeout, poll=0.02)

    def stall_after(self, instant: float) -> float:
        """Seconds from ``instant`` until any case took its next step."""
        return round(next((t for t in self.times if t > instant), instant) - instant, 2)

    def longest_pause(self) -> float:
        """The longest time one case waited between two of its steps (from its first step:
        a case may wait for a free driver before that)."""
        gaps = [b - a for times in self.by_case.values() for a, b in itertools.pairwise(times)]
        return round(max(gaps, default=0.0), 2)


async def interrupted_run(
    c: Cluster,
    ref: Reference,
    variants: Sequence[Plan],
    *,
    scenario: str,
    cases: int,
    at_fractions: Sequence[float],
    interrupt: Callable[[], Awaitable[str]],
    seed: int,
    step_timeout: float = 60.0,
    total_timeout: float = 240.0,
    concurrency: int | None = None,
) -> Report:
    """Start ``cases`` cases, drive them all, and call ``interrupt`` when the steps taken
    reach each of ``at_fractions`` of the steps expected (then a random fraction of a
    second later); check every case against the uninterrupted reference."""
    rng = random.Random(seed)
    todo = plans(variants, cases, f"{scenario}-{seed}")
    ids = await c.start_cases(todo)
    expected_steps = sum(len(path(ref.of(p))) - 1 for p in todo)
    progress = Progress()
    done: list[str] = []
    instants: list[float] = []

    async def interrupter() -> None:
        for fraction in at_fractions:
            await progress.reach(max(1, int(expected_steps * fraction)), total_timeout)
            # A random instant a little after that step: mid-activity, mid-task, or idle.
            await asyncio.sleep(rng.uniform(0, 0.3))
            instants.append(time.monotonic())
            what = await interrupt()
            done.append(f"{what}@{progress.steps}")
            c.log(f"{scenario}: {what} after {progress.steps}/{expected_steps} steps")

    t0 = time.monotonic()
    task = asyncio.create_task(interrupter())
    try:
        results = await c.drive_all(
            ids,
            todo,
            step_timeout=step_timeout,
            total_timeout=total_timeout,
            on_step=progress.step,
            concurrency=concurrency,
        )
        await asyncio.wait_for(task, timeout=step_timeout)
    except BaseException:
        task.cancel()
        await c.save_unfinished(ids)
        raise
    seconds = time.monotonic() - t0
    events = await event_counts(c.client, ids)
    left = await Leftovers.gather(c.client, c.data_dir, ids)
    problems: list[str] = []
    for cid, p in zip(ids, todo, strict=True):
        problems += check_case(cid, results[cid], ref.of(p), left, ref.left)
    report = Report(
        scenario=scenario,
        cases=cases,
        seconds=seconds,
        interruptions=done,
        stalls=[progress.stall_after(i) for i in instants],
        longest_pause=progress.longest_pause(),
        retries=dict(c.conn.retries),
        events=dict(events),
        problems=problems,
        withdrawn=[k for cid in ids for k in _withdrawn(left, cid)],
    )
    c.log(report.summary())
    return report


def kill_points(rng: random.Random, kills: int, *, within: float = 0.4) -> list[float]:
    """``kills`` random points, as fractions of the expected steps, in the first ``within``
    of the run: the outages then overlap the cases still running instead of adding up."""
    return sorted(rng.uniform(0.05, within) for _ in range(kills))


#: History events that show what an interruption cost: tasks lost and retried.
NOTABLE_EVENTS = (
    EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
    EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
    EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
)


async def event_counts(client: Client, case_ids: Iterable[str]) -> Counter[str]:
    """Notable events over the cases' histories, and their total number."""
    counts: Counter[str] = Counter()
    for cid in case_ids:
        history = await client.get_workflow_handle(cid).fetch_history()
        counts["events"] += len(history.events)
        activity_types: dict[int, str] = {}
        for e in history.events:
            if e.event_type in NOTABLE_EVENTS:
                counts[EventType.Name(e.event_type).removeprefix("EVENT_TYPE_").lower()] += 1
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                attrs = e.activity_task_scheduled_event_attributes
                activity_types[e.event_id] = attrs.activity_type.name
            elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                # Retried attempts leave no event of their own: the started event of the
                # attempt that finished says how many came before, and why the last failed.
                started = e.activity_task_started_event_attributes
                if started.attempt > 1:
                    kind = activity_types.get(started.scheduled_event_id, "?")
                    why = started.last_failure.timeout_failure_info.timeout_type
                    reason = TimeoutType.Name(why).removeprefix("TIMEOUT_TYPE_").lower()
                    counts[f"activity_retried:{kind}:{reason}"] += started.attempt - 1
    return counts


async def save_histories(client: Client, case_ids: Iterable[str], where: Path) -> list[Path]:
    """Write the history of every case that did not complete (for ``Replayer`` and the
    Temporal UI's import), so a failure can be replayed and debugged."""
    where.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, on failure
    saved = []
    for cid in case_ids:
        handle = client.get_workflow_handle(cid)
        desc = await handle.describe()
        if desc.status == WorkflowExecutionStatus.COMPLETED:
            continue
        history = await handle.fetch_history()
        target = where / f"{cid.replace(':', '_')}.json"
        target.write_text(history.to_json(), encoding="utf-8")
        saved.append(target)
    return saved
