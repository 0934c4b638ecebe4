"""Nothing internal can be forged from outside: signals a case's children send it, sent
instead by anyone who reaches the Temporal frontend (``temporal workflow signal``), have no
effect, and the audit trail says so."""

from __future__ import annotations

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from client.cases import act, status
from client.comments import comment, ledger_id
from client.errors import CaseActionRefused
from client.ops import audit_lines
from localdev.walkthrough import allows, wait_for_status
from models.actors import Directory
from models.case import ActionRequest
from models.registry import Registry
from tests.conftest import Harness, Temporal
from tests.sign_in import raw_client
from tests.workflows.after_issuance_skipping import eventually
from tests.workflows.test_consultation import open_consultation
from worker import WORKFLOWS
from worker_runtime.runner import CaseRunner
from workflows.drafting.legislative_process import COUNT_COMMENTS_PATCH
from workflows.drafting.signals import COMMENTS_OPEN_SIGNAL, CONSULT_OVERDUE_SIGNAL


async def audit_with(harness: Harness, case_id: str, action: str) -> list[str]:
    """The case's audit lines recording ``action``, once there is one."""

    async def lines() -> list[str]:
        return [line for line in await audit_lines(harness.client, case_id) if action in line]

    return await eventually(f"{action} in the audit trail", lines, wait=60)


async def test_a_forged_overdue_signal_settles_no_consultation(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory
) -> None:
    """The probe sent ``consult_overdue`` four times on day 0 of a 7-day window."""
    case_id = await open_consultation(harness, registry, directory, "forged-overdue")
    st = await wait_for_status(
        harness.client, case_id, lambda s: bool(s.consultations), timeout=120
    )
    raw = (await raw_client(env.address)).get_workflow_handle(case_id)
    for view in st.consultations:
        await raw.signal(CONSULT_OVERDUE_SIGNAL, view.role)
    ignored = await audit_with(harness, case_id, "forged_signal_ignored")
    assert len(ignored) == len(st.consultations)
    after = await status(harness.client, case_id)
    assert not any(c.overdue for c in after.consultations)
    assert not any("reply_overdue" in line for line in await audit_lines(harness.client, case_id))


async def test_a_forged_all_answered_signal_does_not_open_the_synthesis(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory
) -> None:
    """The probe's ``comments_open 0`` let the synthesis through with comments unanswered."""
    case_id = await open_consultation(harness, registry, directory, "forged-comments")
    for i, text in enumerate(["Bổ sung Điều 3.", "Bỏ Điều 9."]):
        await comment(harness.client, harness.store, case_id, author=f"Người {i}", text=text)
    await wait_for_status(harness.client, case_id, lambda s: s.comments_pending, timeout=120)
    await (
        (await raw_client(env.address)).get_workflow_handle(case_id).signal(COMMENTS_OPEN_SIGNAL, 0)
    )
    [line] = await audit_with(harness, case_id, "signal_not_confirmed")
    assert "comments_open said 0, the comment ledger holds 2" in line
    st = await wait_for_status(
        harness.client, case_id, lambda s: s.pending_effects == 0, timeout=120
    )
    assert st.comments_pending

    # The new path is behind its patch, and its history replays on today's code.
    history = await harness.client.get_workflow_handle(case_id).fetch_history()
    patches = [
        p.data
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        for details in e.marker_recorded_event_attributes.details.values()
        for p in details.payloads
    ]
    assert any(COUNT_COMMENTS_PATCH.encode() in data for data in patches)
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=pydantic_data_converter,
        workflow_runner=CaseRunner(pydantic_data_converter),
    )
    replayed = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert replayed.replay_failure is None


async def test_forged_ledger_signals_neither_end_nor_reopen_the_comments(
    env: Temporal, harness: Harness, registry: Registry, directory: Directory
) -> None:
    """A forged ``finish`` while comments are open does not end the ledger; a forged
    ``reopen`` after the period does not let comments in again."""
    h = harness.client
    case_id = await open_consultation(harness, registry, directory, "forged-ledger")
    ledger = (await raw_client(env.address)).get_workflow_handle(ledger_id(case_id))
    await comment(h, harness.store, case_id, author="Người 1", text="Bổ sung Điều 3.")
    await ledger.signal("finish")
    await wait_for_status(h, case_id, lambda s: s.pending_effects == 0, timeout=120)

    async def accepted() -> bool:
        try:
            await comment(h, harness.store, case_id, author="Người 2", text="Bỏ Điều 9.")
        except CaseActionRefused:
            return False
        return True

    # Finishing is held until the case confirms it: the ledger asks and goes on.
    assert await eventually("a comment accepted after the forged finish", accepted, wait=60)
    assert (await ledger.describe()).status == WorkflowExecutionStatus.RUNNING

    await wait_for_status(h, case_id, allows("close_consultation"), timeout=120)
    await act(
        h,
        case_id,
        ActionRequest(declare_no_interest=True, action="close_consultation", actor="nguyen.van.an"),
    )
    await wait_for_status(h, case_id, lambda s: s.pending_effects == 0, timeout=120)
    await ledger.signal("reopen")
    history = await ledger.fetch_history()
    asked = sum(
        1 for e in history.events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
    )

    async def asked_again() -> bool:
        events = (await ledger.fetch_history()).events
        done = [e for e in events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED]
        return len(done) > asked

    await eventually("the ledger asking the case", asked_again, wait=60)
    with pytest.raises(CaseActionRefused) as late:
        await comment(h, harness.store, case_id, author="Muộn", text="Góp ý sau hạn")
    assert late.value.code == "period_closed"
