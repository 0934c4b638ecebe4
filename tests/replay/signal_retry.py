"""The refused-signal scenario the replay test keeps a history of
(``FeedbackCase@monitoring-missing.json``): a feedback case reporting to a monitoring that
never comes, answered; its "answered" signal is refused four times, 1, 2 and 4 s apart
(``RETRY_SIGNAL_PATCH``), then given up on, and the case ends. Recorded by
``python -m tests.replay.record monitoring-missing``."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import Client

from activities.ports import DocumentStore
from client.after_issuance import answer_feedback, submit_feedback
from models.actors import Directory
from models.registry import Registry
from tests.workflows.after_issuance import HANDLER, feedback_case_reporting_to, in_force, monitored

KEY = "monitoring-missing"
HISTORY = f"FeedbackCase@{KEY}.json"


async def record_signal_retry(
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
        legal_day_seconds=60.0,  # no deadline passes while recording
    )
    await monitored(client, doc)
    receipt = await submit_feedback(client, store, doc, author="Replay", text="Điều 2 chưa rõ")
    copy = await feedback_case_reporting_to(client, receipt.feedback_id, f"{doc}/{KEY}", task_queue)
    await answer_feedback(
        client, store, copy, actor=HANDLER, text="Đã trả lời.", declare_no_interest=True
    )
    handle = client.get_workflow_handle(copy)
    await handle.result()
    history = await handle.fetch_history()
    path = histories / HISTORY
    path.write_text(history.to_json() + "\n", encoding="utf-8")
    print(f"recorded {path.name}: {len(history.events)} events")
    return [path]
