"""The after-issuance scenario whose histories the replay tests keep: a document in force
(simplified procedure, a legal day of a minute so no deadline fires while recording), two
feedback cases (one forwarded and answered by the competent agency, one proposing an
amendment, then answered), a legality check concluded unlawful and handled by amending,
and an event recorded by the monitoring officer. Saves one history per workflow type
involved: ``DocumentMonitoring``, ``FeedbackCase`` (the forwarding one) and
``LegalityCheck``, named ``<type>@after-issuance.json``, and the second run of a monitoring
that continued as new (``DocumentMonitoring@after-issuance-continued.json``).
"""

from __future__ import annotations

from pathlib import Path

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowQueryFailedError

from activities.ports import DocumentStore
from client.after_issuance import (
    answer_feedback,
    conclude_check,
    forward_feedback,
    handle_check,
    monitoring_status,
    open_check,
    propose_amendment,
    record_event,
    submit_feedback,
)
from models.actors import Directory
from models.choices import EventKind, Handling, Outcome
from models.feedback import AmendmentProposal, FeedbackSubmission, ForwardRequest
from models.legality_check import Conclusion, HandlingRequest
from models.monitoring import EventRequest, MonitoringInput
from models.registry import Registry
from tests.workflows.after_issuance import (
    CHECKER,
    HANDLER,
    HEAD,
    ISSUER,
    OFFICER,
    OTHER_HANDLER,
    in_force,
    monitored,
    until,
)
from workflows.after_issuance.monitoring import DocumentMonitoring

KEY = "after-issuance"


async def record_after_issuance(
    client: Client,
    directory: Directory,
    registry: Registry,
    store: DocumentStore,
    *,
    task_queue: str,
    histories: Path,
) -> list[Path]:
    doc = await in_force(
        client,
        directory,
        registry.get("qd_ubnd_tinh"),
        store,
        slug=f"{KEY}-replay",
        task_queue=task_queue,
        legal_day_seconds=60.0,
    )
    await monitored(client, doc)
    first = await submit_feedback(client, store, doc, author="Replay", text="Thuộc Sở NN&MT")
    await forward_feedback(
        client,
        first.feedback_id,
        ForwardRequest(declare_no_interest=True, actor=HANDLER, agency="so-nn-daklak"),
    )
    forwarded = f"{first.feedback_id}/so-nn-daklak"
    await until("the forwarded case", lambda: _running_or_done(client, forwarded))
    await answer_feedback(
        client, store, forwarded, actor=OTHER_HANDLER, text="Đã trả lời.", declare_no_interest=True
    )
    second = await submit_feedback(client, store, doc, author="Replay", text="Điều 3 chưa rõ")
    await propose_amendment(
        client,
        second.feedback_id,
        AmendmentProposal(declare_no_interest=True, actor=HEAD, reason="Kiến nghị có cơ sở"),
    )
    await answer_feedback(
        client,
        store,
        second.feedback_id,
        actor=HANDLER,
        text="Sẽ sửa đổi.",
        declare_no_interest=True,
    )
    await record_event(
        client, doc, EventRequest(actor=OFFICER, kind=EventKind.INSPECTION, note="Kiểm tra")
    )
    check = await open_check(client, directory, doc, checker=CHECKER, task_queue=task_queue)
    await conclude_check(
        client,
        check,
        Conclusion(
            declare_no_interest=True,
            actor=CHECKER,
            outcome=Outcome.UNLAWFUL,
            findings="Điều 4 trái luật",
            basis="Luật 64/2025/QH15",
            handling=(Handling.AMEND,),
        ),
    )
    await handle_check(
        client,
        check,
        HandlingRequest(declare_no_interest=True, actor=ISSUER, action=Handling.AMEND),
    )

    async def settled() -> bool:
        st = await monitoring_status(client, doc)
        return st.totals.feedback_answered == 2 and st.totals.checks_handled == 1

    await until("the monitoring to hear of everything", settled)
    written = [await _record_continued(client, store, doc, task_queue, histories)]
    for workflow_id, kind in (
        (f"{doc}/monitoring", "DocumentMonitoring"),
        (first.feedback_id, "FeedbackCase"),
        (check, "LegalityCheck"),
    ):
        if kind != "DocumentMonitoring":
            await client.get_workflow_handle(workflow_id).result()
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        path = histories / f"{kind}@{KEY}.json"
        path.write_text(history.to_json() + "\n", encoding="utf-8")
        written.append(path)
        print(f"recorded {path.name}: {len(history.events)} events")
    return written


async def _record_continued(
    client: Client, store: DocumentStore, doc: str, task_queue: str, histories: Path
) -> Path:
    """A monitoring's second run (after continue-as-new, its state in the input): a
    monitoring of the same document with a low threshold, fed until it continues."""
    mon = await monitoring_status(client, doc)
    inp = MonitoringInput(
        monitoring_id=f"{doc}/monitoring-continued",
        document=mon.document,
        case_assignments={},
        in_force_at=mon.in_force_at,
        time=mon.time,
        continue_after_events=100,
    )
    handle = await client.start_workflow(
        DocumentMonitoring.run, inp, id=inp.monitoring_id, task_queue=task_queue
    )
    body = store.put_blob(b'{"text": "replay"}', "phan-anh.json", "application/json")

    async def continued() -> bool:
        try:
            st = await handle.query(DocumentMonitoring.status)
        except WorkflowQueryFailedError:  # still starting
            return False
        if st.runs > 1:
            return True
        await handle.execute_update(
            DocumentMonitoring.submit_feedback, FeedbackSubmission(body=body, chars=6)
        )
        return False

    await until("the monitoring to continue as new", continued, timeout=60)
    history = await handle.fetch_history()
    path = histories / f"DocumentMonitoring@{KEY}-continued.json"
    path.write_text(history.to_json() + "\n", encoding="utf-8")
    print(f"recorded {path.name}: {len(history.events)} events")
    return path


async def _running_or_done(client: Client, workflow_id: str) -> bool:
    try:
        desc = await client.get_workflow_handle(workflow_id).describe()
    except Exception:
        return False
    return desc.status in (WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.COMPLETED)
