"""How workflows call their activities: one place for timeouts, retries and summaries.

Called from workflow code only (deterministic): these helpers just schedule activities.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.ports import DocumentVersion, Notification, SendResult

#: The parent case's signal a consultation request sends when its reply deadline passes.
CONSULT_OVERDUE_SIGNAL = "consult_overdue"

START_TO_CLOSE = timedelta(seconds=30)
#: A failed side effect is retried for up to a day before it is reported, not the case failed.
SCHEDULE_TO_CLOSE = timedelta(days=1)
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    non_retryable_error_types=["BlobNotFound", "VersionConflict", "InvalidNotification"],
)


async def send_notification(notice: Notification) -> SendResult:
    """Deliver once per ``notice.key`` (the notifier deduplicates retries)."""
    result: SendResult = await workflow.execute_activity(
        "send_notification",
        notice,
        result_type=SendResult,
        start_to_close_timeout=START_TO_CLOSE,
        schedule_to_close_timeout=SCHEDULE_TO_CLOSE,
        retry_policy=RETRY,
        summary=f"Thông báo {notice.kind}: " + ", ".join(r.actor_id for r in notice.recipients),
    )
    return result


async def record_document_version(version: DocumentVersion) -> bool:
    """Record version N of the case's document once (keyed by case id + number)."""
    created: bool = await workflow.execute_activity(
        "record_document_version",
        version,
        result_type=bool,
        start_to_close_timeout=START_TO_CLOSE,
        schedule_to_close_timeout=SCHEDULE_TO_CLOSE,
        retry_policy=RETRY,
        summary=f"Lưu phiên bản {version.version}: {version.label}",
    )
    return created
