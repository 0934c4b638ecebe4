"""Committed histories must replay against today's workflow code.

A failure here means a change altered the commands a running case already recorded: guard
the change with ``workflow.patched(...)``, or, if it is meant as new behaviour for new cases
only, re-record with ``python -m tests.replay.record`` *and* keep the old path patched.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from models.registry import load_registry
from tests.replay.record import HISTORIES, history_file
from worker import WORKFLOWS

HISTORY_FILES = sorted(HISTORIES.glob("*.json"))


def test_every_shipped_definition_has_a_history() -> None:
    missing = [d.key for d in load_registry() if not history_file(d.doc_type, d.regime).exists()]
    assert not missing, f"record histories for {missing}: python -m tests.replay.record"


def test_every_workflow_type_has_a_history() -> None:
    recorded = {
        json.loads(p.read_text(encoding="utf-8"))["events"][0][
            "workflowExecutionStartedEventAttributes"
        ]["workflowType"]["name"]
        for p in HISTORY_FILES
    }
    assert {w.__name__ for w in WORKFLOWS} <= recorded


@pytest.mark.parametrize("path", HISTORY_FILES, ids=lambda p: p.stem)
async def test_history_replays(path: Path) -> None:
    text = path.read_text(encoding="utf-8")  # noqa: ASYNC240 - a small local file
    history = WorkflowHistory.from_json(path.stem, text)
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"


def _current_case_histories() -> list[Path]:
    return [history_file(d.doc_type, d.regime) for d in load_registry()]


@pytest.mark.parametrize("path", _current_case_histories(), ids=lambda p: p.stem)
def test_current_histories_carry_out_effects_together(path: Path) -> None:
    """The histories recorded since issue #8 take the ``concurrent-effects`` path: a stage
    entry's activities are scheduled in one workflow task (older ones stay as ``.vN``)."""
    history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
    patches = [
        json.loads(p.data)["id"]
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        for p in e.marker_recorded_event_attributes.details["patch-data"].payloads
    ]
    assert "concurrent-effects" in patches
    together, run = 0, 0
    for e in history.events:
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            run += 1
            together = max(together, run)
        elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            run = 0
    assert together >= 2, f"{path.name}: no two activities scheduled in one workflow task"
