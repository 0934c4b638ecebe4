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

from temporalio.api.common.v1 import Payload
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
)

from localdev.counting_runner import CountingRunner
from tests.replay.record import HISTORIES
from worker import WORKFLOWS
from worker_runtime.runner import CaseRunner, contexts_matter

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


async def _replay(converter: DataConverter) -> int:
    """Replay one committed case through the worker's runner; how often the sandbox was
    asked for a context."""
    counting = CountingRunner()
    text = CASE.read_text(encoding="utf-8")
    history = WorkflowHistory.from_json(CASE.stem, text)
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=converter,
        workflow_runner=CaseRunner(converter, inner=counting),
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure
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
