"""The stale-clock guard (worker_runtime/time_guard.py).

A worker that rebuilds a case to answer a query may be handed a history that ends with events
no workflow task has handled yet. The SDK core then runs the case over them with the last
task's clock. The Replayer does the same with a history cut there, so it can show what the
guard refuses and what it lets through. The crash proof at 200 cases hit this case for real
(bench/README.md, P7).
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from structlog.testing import capture_logs
from temporalio import client
from temporalio.bridge.proto.workflow_activation import WorkflowActivation
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from client import connection as time_guard
from client.connection import STALE_CLOCK_REFUSAL as REFUSED
from client.connection import RetryRefusedQueries
from tests.replay.record import HISTORIES
from worker import WORKFLOWS
from worker_runtime.runner import CaseRunner
from worker_runtime.time_guard import is_stale, seen

CASE = HISTORIES / "qd_ubnd_tinh@L2025_A87.json"


def activation(length: int, seconds: int, *, replaying: bool = False) -> WorkflowActivation:
    return WorkflowActivation(
        run_id="r",
        history_length=length,
        timestamp=Timestamp(seconds=seconds),
        is_replaying=replaying,
    )


def test_only_new_history_on_the_old_clock_is_stale() -> None:
    before = seen(activation(38, 100))
    assert is_stale(before, activation(48, 100))  # trailing events, the last task's clock
    assert not is_stale(before, activation(49, 117))  # a new workflow task: its own time
    assert not is_stale(before, activation(38, 100))  # a second activation of the same task
    assert not is_stale(before, activation(48, 100, replaying=True))
    assert not is_stale(None, activation(3, 100))  # a case's first activation


def _events() -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = json.loads(CASE.read_text(encoding="utf-8"))["events"]
    return events


def _trailing_cut() -> int:
    """Events up to an activity's completion and the workflow task it scheduled, which no
    worker has started yet: what a query on a worker without the case in its cache sees."""
    events = _events()
    wft = ["EVENT_TYPE_WORKFLOW_TASK_SCHEDULED", "EVENT_TYPE_WORKFLOW_TASK_STARTED"]
    for i, e in enumerate(events[:-2]):
        after = [events[i + 1]["eventType"], events[i + 2]["eventType"]]
        if e["eventType"] == "EVENT_TYPE_ACTIVITY_TASK_COMPLETED" and after == wft:
            return i + 2
    raise AssertionError(f"no activity completion followed by a workflow task in {CASE.name}")


async def _refusals(events: list[dict[str, Any]], tmp_path: Path) -> list[MutableMapping[str, Any]]:
    path = tmp_path / "cut.json"
    path.write_text(json.dumps({"events": events}), encoding="utf-8")
    history = WorkflowHistory.from_json("cut", path.read_text(encoding="utf-8"))
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=pydantic_data_converter,
        workflow_runner=CaseRunner(pydantic_data_converter),
    )
    with capture_logs() as logs:
        await replayer.replay_workflow(history, raise_on_replay_failure=False)
    return [entry for entry in logs if entry["event"] == "refused a stale activation"]


@pytest.mark.parametrize(
    ("extra", "refused"),
    [(0, True), (1, False)],
    ids=["trailing-events", "with-their-workflow-task"],
)
async def test_the_guard_refuses_trailing_events_not_a_new_task(
    tmp_path: Path, extra: int, refused: bool
) -> None:
    cut = _trailing_cut() + extra  # +1: the task's started event, with its own time
    found = await _refusals(_events()[:cut], tmp_path)
    assert bool(found) is refused, found
    if refused:
        assert found[0]["history_length"] == cut


async def test_a_whole_history_replays_without_a_refusal(tmp_path: Path) -> None:
    assert await _refusals(_events(), tmp_path) == []


class _Refusing(client.OutboundInterceptor):
    """The next step of a client's query: refuses ``times`` times, then answers."""

    def __init__(self, times: int, message: str = REFUSED) -> None:
        self.calls = 0
        self.times = times
        self.message = message

    async def query_workflow(self, input: client.QueryWorkflowInput) -> Any:
        self.calls += 1
        if self.calls <= self.times:
            raise client.WorkflowQueryFailedError(self.message)
        return "answer"


def _query() -> client.QueryWorkflowInput:
    return client.QueryWorkflowInput(
        id="c",
        run_id=None,
        query="status",
        args=[],
        reject_condition=None,
        headers={},
        ret_type=None,
        rpc_metadata={},
        rpc_timeout=None,
    )


async def test_a_client_asks_a_refused_query_again() -> None:
    refusing = _Refusing(times=3)
    outbound = RetryRefusedQueries().intercept_client(refusing)
    assert await outbound.query_workflow(_query()) == "answer"
    assert refusing.calls == 4


async def test_a_client_gives_up_after_its_patience_and_on_other_failures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(time_guard, "QUERY_PATIENCE_SECONDS", 0.2)
    refusing = _Refusing(times=1000)
    with pytest.raises(client.WorkflowQueryFailedError, match="stale workflow clock"):
        await RetryRefusedQueries().intercept_client(refusing).query_workflow(_query())
    assert 2 <= refusing.calls <= 5  # 50, 100 ms… then the 0.2 s are up

    failing = _Refusing(times=1, message="no such query")
    with pytest.raises(client.WorkflowQueryFailedError, match="no such query"):
        await RetryRefusedQueries().intercept_client(failing).query_workflow(_query())
    assert failing.calls == 1
