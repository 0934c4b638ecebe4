"""The sandbox runner, counting how often a workflow instance is asked for a payload context:
what the worker's runner (``worker_runtime/runner.py``) saves, measured by its tests and by
``python -m bench.replay_costs``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from temporalio.bridge.proto.workflow_activation import WorkflowActivation
from temporalio.bridge.proto.workflow_completion import WorkflowActivationCompletion
from temporalio.converter import SerializationContext, StorageDriverStoreContext
from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.workflow import Info, _Definition


class CountingRunner(WorkflowRunner):
    """The sandbox, counting how often an instance is asked for a payload context."""

    def __init__(self) -> None:
        self.inner = SandboxedWorkflowRunner()
        self.asked = 0

    def prepare_workflow(self, defn: _Definition) -> None:
        self.inner.prepare_workflow(defn)

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _Counting(self.inner.create_instance(det), self)

    def set_worker_level_failure_exception_types(
        self, types: Sequence[type[BaseException]]
    ) -> None:
        self.inner.set_worker_level_failure_exception_types(types)


class _Counting(WorkflowInstance):
    def __init__(self, inner: WorkflowInstance, runner: CountingRunner) -> None:
        self.inner = inner
        self.runner = runner

    def activate(self, act: WorkflowActivation) -> WorkflowActivationCompletion:
        return self.inner.activate(act)

    def get_serialization_context(self, command_info: Any) -> SerializationContext | None:
        self.runner.asked += 1
        return self.inner.get_serialization_context(command_info)

    def get_external_store_context(self, command_info: Any) -> StorageDriverStoreContext:
        self.runner.asked += 1
        return self.inner.get_external_store_context(command_info)

    def get_info(self) -> Info:
        return self.inner.get_info()
