"""Activities of a case: thin adapters from Temporal to the ports, one effect each, and
``carry_out_effects``, which does one stage entry's (issue #8: one activity per stage).

Idempotency lives in the ports: a document version is keyed by case id + version number
(assigned by the workflow), a notification and a publication by a key derived from the
workflow id and a per-case sequence, so a retried or replayed activity never stores, sends
or posts twice.
Errors that retrying cannot fix become non-retryable ``ApplicationError``s with a type name.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.delivery import carrying_progress, heartbeat
from activities.ports import BlobNotFound, DocumentStore, Notifier, Publisher, VersionConflict
from models.deliveries import (
    EffectBatch,
    EffectItem,
    EffectOutcome,
    Notification,
    Publication,
    PublishResult,
    SendResult,
)
from models.documents import DocumentVersion


class CaseActivities:
    """Bound to one DocumentStore, one Notifier and one Publisher by the worker."""

    def __init__(
        self, store: DocumentStore, notifier: Notifier, publisher: Publisher | None = None
    ) -> None:
        self.store = store
        self.notifier = notifier
        self.publisher = publisher

    @activity.defn(name="send_notification")
    def send_notification(self, notification: Notification) -> SendResult:
        """Deliver a notification (gửi thông báo) once per key."""
        return self._send(notification)

    @activity.defn(name="carry_out_effects")
    def carry_out_effects(self, batch: EffectBatch) -> list[EffectOutcome]:
        """Carry out one stage entry's document versions, notices and postings (lưu phiên
        bản, gửi thông báo, đăng tải), in order, each once per its own key.

        An item refused for good (a non-retryable error) is reported in its outcome and the
        others still run. An item that may yet succeed makes the attempt fail after the
        others ran, so Temporal retries it with backoff; the next attempt skips what the
        last heartbeat says was done. On the last attempt the retry window allows, such an item
        is reported as failed instead, so the case learns exactly which effect it lost."""
        info = activity.info()
        done = batch.done_in(info.heartbeat_details)
        retry: Exception | None = None
        with carrying_progress() as record:
            for i, item in enumerate(batch.items):
                if i in done:
                    continue
                try:
                    self._carry_out(item)
                except Exception as err:
                    why = _given_up(err, info)
                    if why is None:
                        retry = retry or err
                        continue
                    done[i] = EffectOutcome(key=item.key, error=why)
                else:
                    done[i] = EffectOutcome(key=item.key)
                record(batch.progress(done))
            if retry is not None:
                heartbeat()  # the next attempt skips what this one did
                raise retry
        return [done[i] for i in range(len(batch.items))]

    def _carry_out(self, item: EffectItem) -> None:
        effect = item.effect
        if isinstance(effect, DocumentVersion):
            self._record(effect)
        elif isinstance(effect, Notification):
            self._send(effect)
        else:
            self._publish(effect)

    def _record(self, version: DocumentVersion) -> bool:
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

    def _send(self, notification: Notification) -> SendResult:
        result = self.notifier.send(notification)
        activity.logger.info("notification %s delivered=%s", notification.key, result.delivered)
        return result

    def _publish(self, publication: Publication) -> PublishResult:
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
        return [self.send_notification, self.carry_out_effects]


#: Beyond any retry window (a year): keeps the backoff arithmetic inside timedelta's range.
MAX_BACKOFF_SECONDS = 365 * 24 * 3600.0


def _given_up(err: Exception, info: activity.Info) -> str | None:
    """Why ``err`` ends this item's attempts ("<type>: <message>", as the audit trail records
    it), or None if Temporal may retry it: it ends when retrying cannot fix it, or when this
    attempt is the last the retry policy and the schedule-to-close window allow."""
    policy = info.retry_policy
    never = (policy.non_retryable_error_types or ()) if policy is not None else ()
    if isinstance(err, ApplicationError) and (err.non_retryable or err.type in never):
        return str(err)
    if policy is None:
        return None  # the server's default policy retries without end
    last = bool(policy.maximum_attempts) and info.attempt >= policy.maximum_attempts
    if not last and info.schedule_to_close_timeout:  # None or 0: no window set
        # In seconds: after a few hundred attempts the uncapped backoff outgrows timedelta.
        seconds = policy.initial_interval.total_seconds() * policy.backoff_coefficient ** min(
            info.attempt - 1, 100
        )
        if policy.maximum_interval is not None:
            seconds = min(seconds, policy.maximum_interval.total_seconds())
        backoff = timedelta(seconds=min(seconds, MAX_BACKOFF_SECONDS))
        # The next attempt must start, with its whole start-to-close time, inside the window.
        attempt_time = info.start_to_close_timeout or timedelta(0)
        closes = info.scheduled_time + info.schedule_to_close_timeout
        last = datetime.now(UTC) + backoff + attempt_time >= closes
    return f"{err} (gave up after {info.attempt} attempts)" if last else None
