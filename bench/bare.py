"""The baseline: a bare Temporal workflow with legisflow's shape and none of its machinery.

No process definition, state machine, rules, legal calendar, search attributes or models:
a counter of steps, one ``act`` Update per step (with a validator), and after each step the
activities legisflow's workflow ran after the same step, each writing as many small files
as legisflow's did (one per effect: a ``carry_out_effects`` batch writes one per item) the
way legisflow's embedded adapters do (temp file, fsync, hard link). The plan (which
activities after which step, and how many writes each) is measured from a real legisflow
history by ``bench/lifecycle.py``, so both sides do the same Updates, activities and writes.

    .venv/bin/python -m bench.bare ADDRESS TASK_QUEUE DIR     # a worker process
    .venv/bin/python -m bench.bare ADDRESS TASK_QUEUE DIR case-runner   # under legisflow's runner
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

#: A Keyword search attribute the bench's dev server registers (legisflow's ``LegalStage``).
STEP = SearchAttributeKey.for_keyword("LegalStage")


class BarePlan(BaseModel):
    """The activities run at start, after each Update, and after the final timer: for each,
    how many files it writes (legisflow's effects in that activity)."""

    start_effects: list[int]
    step_effects: list[list[int]]
    #: legisflow ends with an automatic transition fired by a timer; None: no such step.
    final_effects: list[int] | None = None
    #: Bytes of text each activity carries (legisflow's notifications are about this long).
    effect_bytes: int = 1200
    #: legisflow starts a child that outlives the case (monitoring); -1: none. The child
    #: runs this many activities, then waits on a long timer, as that one does.
    child_effects: int = -1
    #: Only for the "same commands" baseline (``plan_from(..., commands=True)``); zero and
    #: empty otherwise. Patch markers at start (each also upserts TemporalChangeVersion):
    markers: int = 0
    #: Search-attribute upserts at start and in each step's Update (legisflow's LegalStage …).
    start_upserts: int = 0
    step_upserts: list[int] = []
    #: Per segment (start, then after each step): whether the wait for the next Update runs
    #: a timer that the Update cancels (legisflow's deadline of the stage).
    timers: list[bool] = []


class BareInput(BaseModel):
    case_id: str
    plan: BarePlan


class BareEffect(BaseModel):
    key: str
    body: str
    writes: int = 1


class BareStatus(BaseModel):
    stage: int
    pending: int


@workflow.defn
class BareLifecycle:
    @workflow.init
    def __init__(self, inp: BareInput) -> None:
        self._inp = inp
        self._stage = 0
        self._seq = 0
        self._pending: list[BareEffect] = []

    @workflow.run
    async def run(self, inp: BareInput) -> int:
        plan = inp.plan
        for i in range(plan.markers):
            workflow.patched(f"bare-{i}")
        self._upsert(plan.start_upserts)
        self._queue(plan.start_effects)
        while self._stage < len(plan.step_effects):
            await self._drain()
            timed = plan.timers[self._stage] if self._stage < len(plan.timers) else False
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: bool(self._pending) or self._stage >= len(plan.step_effects),
                    timeout=timedelta(days=30) if timed else None,
                )
        await self._drain()
        if plan.final_effects is not None:
            await workflow.sleep(timedelta(milliseconds=1))
            self._stage += 1
            self._queue(plan.final_effects)
            await self._drain()
        if plan.child_effects >= 0:
            await workflow.start_child_workflow(
                BareChild.run,
                BareInput(case_id=f"{inp.case_id}/child", plan=plan),
                id=f"bare:{inp.case_id}/child",
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._stage

    @workflow.update
    def act(self, step: int) -> int:
        self._stage += 1
        upserts = self._inp.plan.step_upserts
        self._upsert(upserts[step] if step < len(upserts) else 0)
        self._queue(self._inp.plan.step_effects[step])
        return self._stage

    @act.validator
    def _validate(self, step: int) -> None:
        if step != self._stage or step >= len(self._inp.plan.step_effects):
            raise ValueError(f"step {step} is not the next one ({self._stage})")

    @workflow.query
    def status(self) -> BareStatus:
        return BareStatus(stage=self._stage, pending=len(self._pending))

    def _upsert(self, n: int) -> None:
        for _ in range(n):
            workflow.upsert_search_attributes([STEP.value_set(f"step-{self._stage}")])

    def _queue(self, writes: list[int]) -> None:
        for n in writes:
            self._seq += 1
            key = f"{self._inp.case_id}/{self._seq:05d}"
            body = "x" * self._inp.plan.effect_bytes
            self._pending.append(BareEffect(key=key, body=body, writes=n))

    async def _drain(self) -> None:
        while self._pending:
            await workflow.execute_activity(
                "bare_effect",
                self._pending[0],
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1)),
            )
            self._pending.pop(0)


@workflow.defn
class BareChild:
    """The child that outlives the lifecycle: a few activities, then a long timer."""

    @workflow.run
    async def run(self, inp: BareInput) -> None:
        for i in range(inp.plan.child_effects):
            await workflow.execute_activity(
                "bare_effect",
                BareEffect(key=f"{inp.case_id}/{i:05d}", body="x" * inp.plan.effect_bytes),
                start_to_close_timeout=timedelta(seconds=30),
            )
        await workflow.sleep(timedelta(days=3650))


class BareActivities:
    def __init__(self, root: Path) -> None:
        self.root = root

    @activity.defn(name="bare_effect")
    def bare_effect(self, effect: BareEffect) -> bool:
        """Write the effect's files once each, like legisflow's embedded adapters."""
        self.root.mkdir(parents=True, exist_ok=True)
        new = [self._write(f"{effect.key}/{i}", effect) for i in range(effect.writes)]
        return all(new)

    def _write(self, key: str, effect: BareEffect) -> bool:
        """One file (temp file, fsync, hard link), like legisflow's outbox."""
        path = self.root / (key.replace("/", "%2F").replace(":", "%3A") + ".json")
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(effect.model_dump_json().encode())
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
            return True
        finally:
            os.unlink(tmp)


async def serve(address: str, task_queue: str, root: Path, case_runner: bool = False) -> None:
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    runner: WorkflowRunner | None = None
    if case_runner:
        # Only to measure what legisflow's runner alone changes (memory per open case). Imported
        # here: this module is the workflows' own, which the sandbox imports for every run.
        from worker_runtime.runner import CaseRunner

        runner = CaseRunner(client.data_converter)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    acts = BareActivities(root)
    with ThreadPoolExecutor(max_workers=16) as ex:
        async with Worker(
            client,
            task_queue=task_queue,
            workflows=[BareLifecycle, BareChild],
            activities=[acts.bare_effect],
            activity_executor=ex,
            workflow_runner=runner or SandboxedWorkflowRunner(),
        ):
            await stop.wait()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4:] == ["case-runner"]))
    sys.stdout.flush()
    os._exit(0)  # sdk-python#300
