"""Activities of a case: thin adapters from Temporal to the ports.

Idempotency lives in the ports: a document version is keyed by case id + version number
(assigned by the workflow), a notification by a key derived from the workflow id and a
per-case sequence, so a retried or replayed activity never stores or sends twice.
Errors that retrying cannot fix become non-retryable ``ApplicationError``s with a type name.
"""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.ports import (
    BlobNotFound,
    DocumentStore,
    DocumentVersion,
    Notification,
    Notifier,
    SendResult,
    VersionConflict,
)


class CaseActivities:
    """Bound to one DocumentStore and one Notifier by the worker."""

    def __init__(self, store: DocumentStore, notifier: Notifier) -> None:
        self.store = store
        self.notifier = notifier

    @activity.defn(name="record_document_version")
    def record_document_version(self, version: DocumentVersion) -> bool:
        """Record a numbered version (phiên bản) of the case's document."""
        try:
            created = self.store.record_version(version)
        except BlobNotFound as exc:
            raise ApplicationError(
                f"document {version.document.sha256} ({version.document.name}) is not in the "
                "store; upload it before acting",
                type="BlobNotFound",
                non_retryable=True,
            ) from exc
        except VersionConflict as exc:
            raise ApplicationError(str(exc), type="VersionConflict", non_retryable=True) from exc
        activity.logger.info(
            "document version %s of %s recorded (new=%s)", version.version, version.case_id, created
        )
        return created

    @activity.defn(name="send_notification")
    def send_notification(self, notification: Notification) -> SendResult:
        """Deliver a notification (gửi thông báo) once per key."""
        result = self.notifier.send(notification)
        activity.logger.info("notification %s delivered=%s", notification.key, result.delivered)
        return result
