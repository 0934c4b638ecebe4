"""The histories of upgrades while cases run (``tests/replay/version_moves.py``) hold what
they are kept for; ``test_replay.py`` replays them against today's code with the others."""

from __future__ import annotations

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

from tests.replay.version_moves import (
    BUILD_A,
    BUILD_B,
    CASE_HISTORY,
    HISTORIES,
    MONITORING_HISTORY,
)
from tests.workflows.after_issuance import OPERATOR
from tests.workflows.versioning import builds_around, task_builds
from workflows.version_moves import RECORD_VERSION_MOVE


def _history(name: str) -> WorkflowHistory:
    return WorkflowHistory.from_json(name, (HISTORIES / name).read_text(encoding="utf-8"))


def test_the_moved_case_records_the_decision_then_runs_on_the_new_build() -> None:
    history = _history(CASE_HISTORY)
    accepted = [
        e
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        and e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
        == RECORD_VERSION_MOVE
    ]
    assert len(accepted) == 1
    moved = next(
        e
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED
    )
    override = moved.workflow_execution_options_updated_event_attributes.versioning_override
    assert override.pinned.version.build_id == BUILD_B
    # Recorded first, on the build it ran on; moved next; every later decision on the new one.
    assert accepted[0].event_id < moved.event_id
    assert builds_around(history, moved.event_id) == ({BUILD_A}, {BUILD_B})
    request = accepted[0].workflow_execution_update_accepted_event_attributes.accepted_request
    assert OPERATOR.encode() in request.input.args.payloads[0].data
    assert history.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED


def test_the_monitoring_continues_as_new_once_another_build_is_current() -> None:
    history = _history(MONITORING_HISTORY)
    assert set(task_builds(history)) == {BUILD_A}
    told = [
        e.event_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
        and e.workflow_task_started_event_attributes.target_worker_deployment_version_changed
    ]
    assert told, "no workflow task heard of the new build"
    ended = history.events[-1]
    assert ended.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    assert ended.event_id - told[0] < 10  # at the task that heard of it, not thousands later
