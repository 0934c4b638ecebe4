"""Let go of each workflow's start activation once it has started (issue #21: memory per open
case).

The SDK decodes a workflow's input from the core's first activation, then keeps a few of its
protobuf values for the run's whole life: the start headers (``Info.headers`` and the
``ExecuteWorkflowInput`` the run coroutine holds), the memo (``Info.raw_memo``) and the last
completion result. Python's protobuf (upb) allocates a parsed message and every part of it in
one arena, and any live part keeps the whole arena. So each open case kept its entire start
activation, input payload included, for months: for a drafting case about 23 KB of JSON that
had already been decoded into the case's own objects (measured: docs/upstream.md).

Here those few values are copied into messages of their own, so the activation is freed when
the first activation returns. The copies hold the same bytes, so nothing a workflow can read
changes and replay is unaffected.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

from google.protobuf.message import Message
from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails

_M = TypeVar("_M", bound=Message)


def copied(message: _M) -> _M:
    """``message`` in an arena of its own."""
    out = type(message)()
    out.CopyFrom(message)
    return out


def copied_all(values: Mapping[str, _M]) -> dict[str, _M]:
    return {key: copied(value) for key, value in values.items()}


def detached(det: WorkflowInstanceDetails) -> WorkflowInstanceDetails:
    """``det`` holding none of the start activation's messages."""
    info = dataclasses.replace(
        det.info, headers=copied_all(det.info.headers), raw_memo=copied_all(det.info.raw_memo)
    )
    return dataclasses.replace(
        det, info=info, last_completion_result=copied(det.last_completion_result)
    )


def release_start_headers(instance: WorkflowInstance) -> bool:
    """Copy the started run's ``ExecuteWorkflowInput.headers`` out of the start activation.

    The run coroutine holds that very input object, so replacing its ``headers`` drops the
    last reference to the activation. The path to it is the SDK's private one (verified on the
    versions in ``worker_runtime/sdk_pin.py``); where it is not found, nothing is changed and
    False says so (``tests/unit/test_start_activation.py`` fails on an SDK that moved it)."""
    in_sandbox = getattr(instance, "globals_and_locals", {}).get("__temporal_in_sandbox")
    impl: Any = getattr(in_sandbox, "instance", instance)
    started = getattr(impl, "_workflow_input", None)
    if started is None or not hasattr(started, "headers"):
        return False
    started.headers = copied_all(started.headers)
    return True
