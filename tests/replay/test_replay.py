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

from models.awaiting import AWAITING_ROLES_PATCH
from models.contested_issues import DIRECTIONS_PATCH
from models.interests import DECLARE_INTEREST_PATCH
from models.public_consultation import PUBLIC_ANSWERS_PATCH, PUBLIC_INTAKE_PATCH
from models.registry import load_registry
from models.rules import NOTE_REQUIRED_PATCH
from models.signature_evidence import SIGNATURE_CHECK_PATCH
from tests.replay.directions import HISTORY as DIRECTIONS_HISTORY
from tests.replay.interests import HISTORY as INTERESTS_HISTORY
from tests.replay.public_intake import HISTORY as PUBLIC_INTAKE_HISTORY
from tests.replay.public_intake import LEDGER_HISTORY as PUBLIC_LEDGER_HISTORY
from tests.replay.record import HISTORIES, history_file
from tests.replay.returns import HISTORY as RETURNS_HISTORY
from tests.replay.returns import NOTE as RETURN_NOTE
from tests.replay.signal_retry import HISTORY as SIGNAL_RETRY_HISTORY
from tests.replay.signatures import HISTORY as SIGNATURES_HISTORY
from worker import WORKFLOWS
from worker_runtime.runner import CaseRunner
from workflows.after_issuance.signals import RETRY_SIGNAL_PATCH, SIGNAL_ATTEMPTS
from workflows.drafting.legislative_process import COUNT_COMMENTS_PATCH

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
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=pydantic_data_converter,
        workflow_runner=CaseRunner(pydantic_data_converter),  # the worker's runner
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"


#: The ``workflow.patched`` ids of changes made since the collapse (issue #17).
CURRENT_PATCHES = {
    COUNT_COMMENTS_PATCH,
    DECLARE_INTEREST_PATCH,
    NOTE_REQUIRED_PATCH,
    AWAITING_ROLES_PATCH,
    DIRECTIONS_PATCH,
    RETRY_SIGNAL_PATCH,
    SIGNATURE_CHECK_PATCH,
}


def _current_case_histories() -> list[Path]:
    return [history_file(d.doc_type, d.regime) for d in load_registry()]


#: What a case's stage entry asks of the store, the notifier and the publisher goes only
#: through ``carry_out_effects``, never one activity per effect.
SINGLE_EFFECT_ACTIVITIES = {"record_document_version", "send_notification", "publish_document"}


@pytest.mark.parametrize("path", _current_case_histories(), ids=lambda p: p.stem)
def test_current_histories_batch_a_stage_entrys_effects(path: Path) -> None:
    """A stage entry's versions, notices and postings go in one ``carry_out_effects``
    activity, and a case records no patch marker: the old patch branches were collapsed
    when nothing ran in production yet (each marker also costs a search-attribute upsert).
    A later change to workflow commands brings its own ``workflow.patched`` id, named in
    ``CURRENT_PATCHES``."""
    history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
    patches = [
        json.loads(p.data)["id"]
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        for p in e.marker_recorded_event_attributes.details["patch-data"].payloads
    ]
    assert set(patches) <= CURRENT_PATCHES, f"{path.name}: {patches}"
    scheduled = [
        e.activity_task_scheduled_event_attributes
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    names = [a.activity_type.name for a in scheduled]
    assert not SINGLE_EFFECT_ACTIVITIES & set(names), f"{path.name}: {names}"
    sizes = [
        len(json.loads(a.input.payloads[0].data)["items"])
        for a in scheduled
        if a.activity_type.name == "carry_out_effects"
    ]
    assert max(sizes) >= 2, f"{path.name}: no batch holds two effects ({sizes})"


def test_the_interests_history_holds_declarations_and_a_reassignment() -> None:
    """The history ``test_history_replays`` replays for conflicts of interest carries what
    it is kept for: the patch marker, both declarations and the reassignment."""
    path = HISTORIES / INTERESTS_HISTORY
    history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
    updates = [
        e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]
    assert updates.count("declare_interest") == 2
    assert updates.count("reassign") == 1
    assert "act" in updates
    markers = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
    assert DECLARE_INTEREST_PATCH in str(markers)


def test_the_returns_history_keeps_the_reason_and_tells_the_drafter() -> None:
    """A return under ``NOTE_REQUIRED_PATCH``: its marker is recorded, and the drafter's new
    assignment (a carried-out effect) says why the case came back."""
    path = HISTORIES / RETURNS_HISTORY
    history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
    markers = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
    assert NOTE_REQUIRED_PATCH in str(markers)
    assert AWAITING_ROLES_PATCH in str(markers)
    upserts = [
        e.upsert_workflow_search_attributes_event_attributes.search_attributes
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    ]
    assert sum("AwaitingRoles" in u.indexed_fields for u in upserts) >= 5
    told = [
        item
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == "carry_out_effects"
        for item in json.loads(e.activity_task_scheduled_event_attributes.input.payloads[0].data)[
            "items"
        ]
        if "The case came back" in json.dumps(item, ensure_ascii=False)
    ]
    assert len(told) == 1
    assert RETURN_NOTE in json.dumps(told[0], ensure_ascii=False)
    assert "/ho-so/" in json.dumps(told[0])


def test_the_directions_history_holds_issues_directed_in_time_and_late() -> None:
    """The history kept for ``DIRECTIONS_PATCH``: its marker, two issues raised, two
    directions given, one issue's deadline breached, and the deadline requests it started."""
    path = HISTORIES / DIRECTIONS_HISTORY
    history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
    updates = [
        e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]
    assert updates.count("raise_issue") == 2
    assert updates.count("give_direction") == 2
    markers = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
    assert DIRECTIONS_PATCH in str(markers)
    children = [
        e.start_child_workflow_execution_initiated_event_attributes.workflow_id
        for e in history.events
        if e.HasField("start_child_workflow_execution_initiated_event_attributes")
    ]
    assert sum("/direction/" in c for c in children) == 2
    signals = [
        e.workflow_execution_signaled_event_attributes.input
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
    ]
    assert any("issue:2" in str(s) for s in signals)


def test_the_refused_signal_history_holds_four_tries_and_its_end() -> None:
    """The history kept for ``RETRY_SIGNAL_PATCH``: its marker, the signal refused on each
    of its tries with the growing waits between them, and the case completed after."""
    path = HISTORIES / SIGNAL_RETRY_HISTORY
    history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
    kinds = [e.event_type for e in history.events]
    assert kinds.count(EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED) == (
        SIGNAL_ATTEMPTS
    )
    waits = [
        e.timer_started_event_attributes.start_to_fire_timeout.ToSeconds()
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED
    ]
    assert [w for w in waits if w <= 4] == [1, 2, 4]
    markers = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
    assert RETRY_SIGNAL_PATCH in str(markers)
    assert kinds[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED


def test_the_signatures_history_holds_a_signature_accepted_and_checked_again() -> None:
    """The history kept for ``SIGNATURE_CHECK_PATCH``: its marker, the ``sign`` Update with
    the signature's evidence, and the check of the stored file after acceptance."""
    path = HISTORIES / SIGNATURES_HISTORY
    history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
    markers = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
    assert SIGNATURE_CHECK_PATCH in str(markers)
    signed = [
        json.loads(e.workflow_execution_update_accepted_event_attributes.accepted_request.input
                   .args.payloads[0].data)
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]  # fmt: skip
    assert [r["signature"] is not None for r in signed if r.get("action") == "sign"] == [True]
    names = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert names.count("check_signed_document") == 1


def test_the_public_intake_history_opens_and_closes_the_portal() -> None:
    """The history kept for ``PUBLIC_INTAKE_PATCH``: its marker, the intake opened with the
    comment ledger and closed with it, and no commenter's name in the case's history."""
    path = HISTORIES / PUBLIC_INTAKE_HISTORY
    text = path.read_text(encoding="utf-8")
    history = WorkflowHistory.from_json(path.stem, text)
    markers = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
    assert PUBLIC_INTAKE_PATCH in str(markers)
    names = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    intake = [n for n in names if n.endswith("_public_intake")]
    assert intake[:2] == ["open_public_intake", "close_public_intake"]
    assert "Người góp ý" not in text


def test_the_public_answers_history_clusters_counts_and_answers() -> None:
    """The ledger's history kept for ``PUBLIC_ANSWERS_PATCH``: its marker, the count of the
    public's comments once the period closed, and the answer to their cluster."""
    path = HISTORIES / PUBLIC_LEDGER_HISTORY
    history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
    markers = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
    assert PUBLIC_ANSWERS_PATCH in str(markers)
    names = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    public = [n for n in names if n.endswith(("_public_comments", "_public_cluster"))]
    assert public == ["tally_public_comments", "dispose_public_cluster"]
