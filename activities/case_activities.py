"""Activities of a case: thin adapters from Temporal to the ports.

Idempotency lives in the ports: a document version is keyed by case id + version number
(assigned by the workflow), a notification and a publication by a key derived from the
workflow id and a per-case sequence, so a retried or replayed activity never stores, sends
or posts twice.
Errors that retrying cannot fix become non-retryable ``ApplicationError``s with a type name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.ports import (
    BlobNotFound,
    DocumentStore,
    DocumentVersion,
    Notification,
    Notifier,
    Publication,
    Publisher,
    PublishResult,
    SendResult,
    VersionConflict,
)


class CaseActivities:
    """Bound to one DocumentStore, one Notifier and one Publisher by the worker."""

    def __init__(
        self, store: DocumentStore, notifier: Notifier, publisher: Publisher | None = None
    ) -> None:
        self.store = store
        self.notifier = notifier
        self.publisher = publisher

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

    @activity.defn(name="publish_document")
    def publish_document(self, publication: Publication) -> PublishResult:
        """Post a document on the consultation portal or in the Công báo, once per key."""
        if self.publisher is None:
            raise ApplicationError(
                "this worker has no publisher configured (LEGISFLOW_PUBLISHER)",
                type="PublisherNotConfigured",
                non_retryable=True,
            )
        if not self.store.has_blob(publication.document.sha256):
            raise ApplicationError(
                f"document {publication.document.sha256} ({publication.document.name}) is not "
                "in the store; it cannot be published",
                type="BlobNotFound",
                non_retryable=True,
            )
        result = self.publisher.publish(publication)
        activity.logger.info(
            "publication %s on %s published=%s at %s",
            publication.key,
            publication.channel,
            result.published,
            result.location,
        )
        return result

    @property
    def all(self) -> list[Callable[..., Any]]:
        """Every activity, for ``Worker(activities=...)``."""
        return [self.record_document_version, self.send_notification, self.publish_document]
