"""The worker's workflow runner (bộ chạy quy trình): Temporal's sandbox, with three things in
front of every workflow instance that the SDK leaves to the application.

1. **The time guard** (``worker_runtime/time_guard.py``) refuses an activation on a stale clock.
2. **Payload contexts without entering the sandbox.** temporalio 1.35 asks the workflow
   instance for a serialization context and an external-storage context for every payload of
   every activation and completion, six or seven times per payload (decode, retrieve and
   reference passes in, the same out). The sandbox answers each by compiling and running a
   small code string under its import guard. That is about 40 µs a call, and a third of a
   warm replay (bench/README.md, P8). The answers only choose which converter handles the
   payload. When the data converter has no codec, no external storage and no context-aware
   part, every choice is the same converter. :func:`contexts_matter` checks that once, at
   start, and then the instance answers without the sandbox. A converter that does use
   contexts (an encryption codec keyed per workflow, say) gets the sandbox's answers as before.
3. **The start activation let go** (``worker_runtime/start_activation.py``): the SDK keeps
   each open workflow's whole first activation, input and all; the runner copies out the few
   values it keeps (110 KB an open case, docs/upstream.md, entry 4).

None changes a command, so histories replay the same with or without them.

The sandbox would also import each workflow's module afresh for every new instance (without
up-to-date bytecode, compiling ``workflows/`` from source: about 10 ms a case). legisflow
passes its own ``workflows`` package through (``PASSED_THROUGH``), so it is imported once per
worker; :func:`modules_without_bytecode` still says at start when ``PYTHONDONTWRITEBYTECODE``
or a read-only tree leaves it without bytecode, and ``make bytecode`` compiles it.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from temporalio.bridge.proto.workflow_activation import WorkflowActivation
from temporalio.bridge.proto.workflow_completion import WorkflowActivationCompletion
from temporalio.converter import (
    ActivitySerializationContext,
    DataConverter,
    SerializationContext,
    StorageDriverStoreContext,
    StorageDriverWorkflowInfo,
    WorkflowSerializationContext,
)
from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions
from temporalio.workflow import Info, _Definition

from worker_runtime.start_activation import detached, release_start_headers
from worker_runtime.time_guard import TimeGuard

#: Contexts of each kind a workflow's payloads are handled under (values are arbitrary).
_SAMPLE_CONTEXTS: tuple[SerializationContext, ...] = (
    WorkflowSerializationContext(namespace="default", workflow_id="sample"),
    ActivitySerializationContext(
        namespace="default",
        workflow_id="sample",
        workflow_type="Sample",
        activity_type="sample",
        activity_id="1",
        activity_task_queue="sample",
        is_local=False,
    ),
)


def contexts_matter(converter: DataConverter) -> bool:
    """Whether the payload contexts can change what ``converter`` does.

    The SDK's ``with_context`` returns the very same converter when no part of it takes a
    context; external storage uses its own store context."""
    if converter.external_storage is not None:
        return True
    return any(converter.with_context(c) is not converter for c in _SAMPLE_CONTEXTS)


#: Modules the sandbox takes from the worker instead of importing afresh for each workflow.
#: A validator verifying a signed document (``models/signature_evidence.py``) reaches parts
#: of ``cryptography`` lazily; imported again inside the sandbox, its Rust bindings fail
#: (SystemError) and the check with them.
#:
#: ``workflows`` too (issue #21): imported afresh, each open case held its own copy of every
#: workflow module's functions and classes, about 90 KB a case and 28 ms of each warm replay
#: (BENCHMARKS.md). What the sandbox gave in exchange, ``tests/unit/test_workflow_code.py``
#: checks on the code instead: no import of a clock, randomness, the network or the disk, no
#: call of ``datetime.now`` and its kin (only ``workflow.now``), no ``global``, and no
#: mutable module-level or class-level value, so no state can pass from one case to another.
PASSED_THROUGH = ("cryptography", "_cffi_backend", "asn1crypto", "workflows")


def sandbox() -> SandboxedWorkflowRunner:
    """The workflow sandbox as legisflow's workers run it."""
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH)
    return SandboxedWorkflowRunner(restrictions=restrictions)


class CaseRunner(WorkflowRunner):
    """Wraps a runner (by default the sandbox) as the module docstring says."""

    def __init__(self, converter: DataConverter, inner: WorkflowRunner | None = None) -> None:
        self._inner = inner or sandbox()
        self._contexts_matter = contexts_matter(converter)

    def prepare_workflow(self, defn: _Definition) -> None:
        self._inner.prepare_workflow(defn)

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        det = detached(det)
        return _CaseInstance(self._inner.create_instance(det), det.info, self._contexts_matter)

    def set_worker_level_failure_exception_types(
        self, types: Sequence[type[BaseException]]
    ) -> None:
        self._inner.set_worker_level_failure_exception_types(types)


class _CaseInstance(WorkflowInstance):
    def __init__(self, inner: WorkflowInstance, info: Info, contexts_matter: bool) -> None:
        self._inner = inner
        self._info = info
        self._guard = TimeGuard()
        self._contexts_matter = contexts_matter
        self._start_released = False
        # The SDK's own answer for a payload of this workflow (its ID, run and type never
        # change for an instance); with no external storage nothing reads it.
        self._store_context = StorageDriverStoreContext(
            target=StorageDriverWorkflowInfo(
                id=info.workflow_id,
                run_id=info.run_id,
                type=info.workflow_type,
                namespace=info.namespace,
            )
        )

    def activate(self, act: WorkflowActivation) -> WorkflowActivationCompletion:
        refusal = self._guard.refusal(act, self._info)
        if refusal is not None:
            return refusal
        completion = self._inner.activate(act)
        if not self._start_released:
            self._start_released = release_start_headers(self._inner)
        return completion

    def get_serialization_context(
        self,
        command_info: Any,  # the SDK's CommandInfo | None (a private type)
    ) -> SerializationContext | None:
        if self._contexts_matter:
            return self._inner.get_serialization_context(command_info)
        return None  # the converter as it is, which is what every context gives

    def get_external_store_context(
        self,
        command_info: Any,  # the SDK's CommandInfo | None (a private type)
    ) -> StorageDriverStoreContext:
        if self._contexts_matter:
            return self._inner.get_external_store_context(command_info)
        return self._store_context

    def get_info(self) -> Info:
        return self._inner.get_info()

    def get_thread_id(self) -> int | None:
        return self._inner.get_thread_id()


def has_fresh_bytecode(source: Path) -> bool:
    """Whether the import system will load ``source`` from its ``__pycache__`` file rather
    than compile it: the file exists, is for this Python, and matches the source's mtime
    and size (or is hash-based, which the loader checks itself)."""
    cached = Path(importlib.util.cache_from_source(str(source)))
    try:
        with cached.open("rb") as f:
            header = f.read(16)
        st = source.stat()
    except OSError:
        return False
    if len(header) < 16 or header[:4] != importlib.util.MAGIC_NUMBER:
        return False
    if int.from_bytes(header[4:8], "little") & 1:  # hash-based
        return True
    mtime = int.from_bytes(header[8:12], "little")
    size = int.from_bytes(header[12:16], "little")
    return mtime == int(st.st_mtime) & 0xFFFFFFFF and size == st.st_size & 0xFFFFFFFF


def modules_without_bytecode(package: str = "workflows") -> list[str]:
    """The loaded modules of ``package`` the sandbox would compile for every new instance."""
    names = [n for n in sys.modules if n == package or n.startswith(package + ".")]
    return sorted(
        name
        for name in names
        if (origin := getattr(sys.modules[name], "__file__", None))
        and origin.endswith(".py")
        and not has_fresh_bytecode(Path(origin))
    )
