"""Notifier posting each notification as signed JSON to an HTTP endpoint (webhook).

The request::

    POST <LEGISFLOW_WEBHOOK_URL>
    Content-Type: application/json; charset=utf-8
    Idempotency-Key: <notification key>
    X-Legisflow-Event: notification.<kind>
    X-Legisflow-Signature: sha256=<hex HMAC-SHA256 of the raw body with the shared secret>

    {"event": "notification", "key": …, "case_id": …, "kind": …, "recipients": […],
     "subject": …, "body": …, "created_at": …}

Exactly once per key relies on the receiver: it must treat a repeated ``Idempotency-Key``
as the same delivery (answering 2xx, ideally with ``Idempotent-Replayed: true``), because
an activity retried after a lost response posts the same key again. 2xx is success; 5xx,
408, 429 and network failures are retried; any other status is permanent.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx

from activities.delivery import post_json
from models.deliveries import Notification, SendResult

DEFAULT_TIMEOUT = 10.0


def notification_payload(notification: Notification) -> dict[str, Any]:
    return {"event": "notification", **notification.model_dump(mode="json")}


def encode_body(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON with Vietnamese left readable; these exact bytes are signed."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class WebhookNotifier:
    """Notifier over HTTP; one connection pool shared by the worker's activity threads."""

    def __init__(
        self,
        url: str,
        secret: str | None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        client: httpx.Client | None = None,
    ) -> None:
        self.url = url
        self._secret = secret.encode("utf-8") if secret else None
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            headers={"User-Agent": "legisflow-webhook/1"},
        )

    def send(self, notification: Notification) -> SendResult:
        delivered, _ = post_json(
            self._client,
            self.url,
            encode_body(notification_payload(notification)),
            key=notification.key,
            secret=self._secret,
            what=f"webhook for notification {notification.key}",
            extra_headers={"X-Legisflow-Event": f"notification.{notification.kind}"},
        )
        return SendResult(key=notification.key, delivered=delivered, location=self.url)

    def close(self) -> None:
        self._client.close()


if TYPE_CHECKING:
    from activities.ports import Notifier

    _conforms: Notifier = WebhookNotifier("http://localhost", None)
