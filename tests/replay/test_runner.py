"""The worker's runner answers payload contexts itself only where they cannot matter
(worker_runtime/runner.py).

temporalio asks the sandbox for a context for every payload, several times over; with the
plain pydantic converter every answer picks the same converter, so the runner skips the
sandbox. A converter that does use contexts, such as a codec keyed per workflow or activity,
must still get the sandbox's answers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from temporalio.api.common.v1 import Payload, Payloads
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    ActivitySerializationContext,
    DataConverter,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
)
from temporalio.worker import (
    Replayer,
    WorkflowInstance,
    WorkflowInstanceDetails,
    WorkflowRunner,
)
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox._runner import _fake_info
from temporalio.workflow import _Definition

from localdev.counting_runner import CountingRunner
from tests.replay.record import HISTORIES
from worker import WORKFLOWS
from worker_runtime.runner import CaseRunner, contexts_matter
from worker_runtime.start_activation import detached

CASE = HISTORIES / "qd_ubnd_tinh@L2025_A87.json"


class RecordingCodec(PayloadCodec, WithSerializationContext):
    """Leaves payloads as they are and notes the context it was given for each batch."""

    def __init__(self, seen: list[SerializationContext | None], context: Any = None) -> None:
        self.seen = seen
        self.context = context

    def with_context(self, context: SerializationContext) -> RecordingCodec:
        return RecordingCodec(self.seen, context)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.seen.append(self.context)
        return list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.seen.append(self.context)
        return list(payloads)


async def _replay_case(converter: DataConverter, inner: WorkflowRunner) -> None:
    """Replay one committed case through the worker's runner wrapped around ``inner``."""
    history = WorkflowHistory.from_json(CASE.stem, CASE.read_text(encoding="utf-8"))
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=converter,
        workflow_runner=CaseRunner(converter, inner=inner),
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


async def _replay(converter: DataConverter) -> int:
    """How often the sandbox was asked for a context in one replay."""
    counting = CountingRunner()
    await _replay_case(converter, counting)
    return counting.asked


def test_contexts_matter_only_to_a_converter_that_takes_them() -> None:
    assert not contexts_matter(pydantic_data_converter)
    assert not contexts_matter(DataConverter.default)
    codec = dataclasses.replace(pydantic_data_converter, payload_codec=RecordingCodec([]))
    assert contexts_matter(codec)


async def test_the_plain_converter_never_enters_the_sandbox_for_a_context() -> None:
    assert await _replay(pydantic_data_converter) == 0


async def test_a_converter_that_takes_contexts_still_gets_the_sandboxs() -> None:
    seen: list[SerializationContext | None] = []
    converter = dataclasses.replace(pydantic_data_converter, payload_codec=RecordingCodec(seen))
    assert await _replay(converter) > 0
    activities = {c.activity_type for c in seen if isinstance(c, ActivitySerializationContext)}
    assert "carry_out_effects" in activities, activities


class KeepingRunner(WorkflowRunner):
    """The sandbox, keeping every instance it creates so a test can look inside."""

    def __init__(self) -> None:
        self.inner = SandboxedWorkflowRunner()
        self.instances: list[WorkflowInstance] = []

    def prepare_workflow(self, defn: Any) -> None:
        self.inner.prepare_workflow(defn)

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        instance = self.inner.create_instance(det)
        self.instances.append(instance)
        return instance

    def set_worker_level_failure_exception_types(
        self, types: Sequence[type[BaseException]]
    ) -> None:
        self.inner.set_worker_level_failure_exception_types(types)


async def test_a_started_run_holds_no_part_of_its_start_activation() -> None:
    """Each open case used to keep its whole start activation (input and all) alive through
    the start headers its run coroutine holds (worker_runtime/start_activation.py): 110 KB a
    case of a worker's memory. The SDK leaves them a protobuf map, a view into the
    activation; the runner replaces them with copies of their own."""
    kept = KeepingRunner()
    await _replay_case(pydantic_data_converter, kept)
    assert kept.instances, "the replay created no workflow instance"
    for instance in kept.instances:
        run = instance.globals_and_locals["__temporal_in_sandbox"].instance  # type: ignore[attr-defined]
        headers = run._workflow_input.headers
        assert type(headers) is dict, f"the run still holds the activation's {type(headers)}"


def test_a_detached_start_reads_the_same() -> None:
    memo = Payload(metadata={"encoding": b"json/plain"}, data=b'{"x": 1}')
    det = WorkflowInstanceDetails(
        payload_converter_factory=pydantic_data_converter._new_payload_converter,
        failure_converter_class=pydantic_data_converter.failure_converter_class,
        interceptor_classes=[],
        defn=_Definition.must_from_class(WORKFLOWS[0]),
        info=dataclasses.replace(_fake_info, raw_memo={"m": memo}, headers={"h": memo}),
        randomness_seed=1,
        extern_functions={},
        disable_eager_activity_execution=False,
        worker_level_failure_exception_types=[],
        patch_activation_callback=None,
        last_completion_result=Payloads(payloads=[memo]),
        last_failure=None,
    )
    out = detached(det)
    assert out.info.raw_memo == {"m": memo}
    assert out.info.headers == {"h": memo}
    assert out.last_completion_result == det.last_completion_result
    assert out.info.workflow_id == det.info.workflow_id
    assert out.defn is det.defn
