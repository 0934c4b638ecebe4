"""A feedback case whose signal to the document's monitoring is refused ("not found") sends
it again, so the monitoring still counts the case; a monitoring that never comes is given
up on and the case goes on. The time-skipping server refuses such signals while the
monitoring continues as new (docs/upstream.md §3); here the monitoring is simply missing at
first, which the dev server refuses the same way.

A legal day lasts a minute: no deadline passes while a test runs.
"""

from __future__ import annotations

from temporalio.client import WorkflowQueryFailedError

from client.after_issuance import (
    answer_feedback,
    feedback_status,
    monitoring_status,
    submit_feedback,
)
from models.actors import Directory
from models.feedback import FeedbackStatus
from models.monitoring import MonitoringInput
from models.registry import Registry
from tests.conftest import Harness
from tests.workflows.after_issuance import (
    HANDLER,
    feedback_case_reporting_to,
    in_force,
    monitored,
    refused_signals,
    until,
)
from workflows.after_issuance.monitoring import DocumentMonitoring
from workflows.after_issuance.signals import SIGNAL_ATTEMPTS

DAY = 60.0
ANSWERED = "feedback_answered"


async def _answered_copy(
    harness: Harness, registry: Registry, directory: Directory, slug: str
) -> tuple[str, str, str]:
    """A document in force, one feedback case, and a copy of that case reporting to a
    monitoring that does not exist, answered: (document, missing monitoring id, copy)."""
    client, store = harness.client, harness.store
    doc = await in_force(
        client,
        directory,
        registry.get("qd_ubnd_tinh"),
        store,
        slug=slug,
        task_queue=harness.settings.task_queue,
        legal_day_seconds=DAY,
    )
    await monitored(client, doc)
    receipt = await submit_feedback(client, store, doc, author="Công dân", text="Điều 2 chưa rõ")
    missing = f"{doc}/monitoring-later"
    copy = await feedback_case_reporting_to(
        client, receipt.feedback_id, missing, harness.settings.task_queue
    )
    await answer_feedback(
        client, store, copy, actor=HANDLER, text="Đã trả lời.", declare_no_interest=True
    )
    return doc, missing, copy


async def test_a_refused_signal_is_sent_again_and_the_monitoring_counts_the_case(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    client = harness.client
    doc, missing, copy = await _answered_copy(harness, registry, directory, "tin-hieu-lai")
    # The first "answered" signal is refused: nobody has that id yet.
    await until("a refused signal", lambda: refused_signals(client, copy), timeout=60)
    # The monitoring appears while the case waits to try again (1, then 2, then 4 s).
    mon = await monitoring_status(client, doc)
    await client.start_workflow(
        DocumentMonitoring.run,
        MonitoringInput(
            monitoring_id=missing,
            document=mon.document,
            case_assignments={},
            in_force_at=mon.in_force_at,
            time=mon.time,
        ),
        id=missing,
        task_queue=harness.settings.task_queue,
    )

    async def counted() -> bool:
        try:
            st = await client.get_workflow_handle(missing).query(DocumentMonitoring.status)
        except WorkflowQueryFailedError:  # "monitoring is starting"
            return False
        return st.totals.feedback_answered == 1

    await until("the late monitoring to count the answered case", counted, timeout=60)
    assert await refused_signals(client, copy) < SIGNAL_ATTEMPTS
    assert (await feedback_status(client, copy)).answered_by == HANDLER


async def test_a_monitoring_that_never_comes_is_given_up_on(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    client = harness.client
    _, _, copy = await _answered_copy(harness, registry, directory, "tin-hieu-mat")

    async def all_refused() -> bool:
        return await refused_signals(client, copy) == SIGNAL_ATTEMPTS

    await until("every try refused", all_refused, timeout=60)
    # The case ends as any answered case does.
    result = await client.get_workflow_handle(copy, result_type=FeedbackStatus).result()
    assert (result.stage, result.answered_by) == (ANSWERED, HANDLER)
    assert await refused_signals(client, copy) == SIGNAL_ATTEMPTS
