"""How adapters report failures to Temporal, and what the HTTP adapters share.

One rule for every adapter (SMTP, webhook, portal, S3):

- a failure that may pass by itself (connection refused, time-out, HTTP 5xx, 408, 429,
  SMTP 4xx) raises an ordinary exception: the activity's RetryPolicy retries it with backoff;
- a refusal that retrying cannot change (HTTP 4xx, SMTP 5xx for this message, an invalid
  address) raises ``ApplicationError(non_retryable=True)`` with one of the type names below,
  which ``workflows/activity_calls.py`` also lists in ``RETRY.non_retryable_error_types``.

Retryable failures are raised *without* their cause chain (``from None``), the message
naming the cause instead: the server keeps a pending activity's last failure only up to
4 KB (``limit.mutableStateActivityFailureSize``), and a stack trace chained through httpx,
aiosmtplib or botocore exceeds it, leaving ops "Failure exceeds size limit." in the UI
instead of the reason.

The HTTP adapters sign each body with HMAC-SHA256 (``X-Legisflow-Signature: sha256=<hex>``)
and send the idempotency key as ``Idempotency-Key``; :func:`verify_signature` is what a
receiver runs.
"""

from __future__ import annotations

import asyncio
import contextvars
import email.utils
import hashlib
import hmac
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

#: The remote side refused this message or posting for good (HTTP 4xx, SMTP 5xx).
PERMANENT_DELIVERY_FAILURE = "PermanentDeliveryFailure"
#: The notification cannot be sent by this channel (no valid address for anyone).
INVALID_NOTIFICATION = "InvalidNotification"
#: The object store refused a request for good (a malformed request, not an outage).
PERMANENT_STORE_FAILURE = "PermanentStoreFailure"
#: Retryable, with a delay the server asked for (HTTP Retry-After).
THROTTLED = "DeliveryThrottled"

SIGNATURE_HEADER = "X-Legisflow-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
#: A receiver that recognises a key it already processed answers 2xx with this header set
#: to "true" (the convention of Stripe and the IETF idempotency-key draft): the adapter then
#: reports the send as a suppressed duplicate.
REPLAYED_HEADER = "Idempotent-Replayed"

#: HTTP statuses worth retrying: time-out, too many requests, and every 5xx.
RETRYABLE_4XX = frozenset({408, 425, 429})
MAX_RETRY_AFTER = timedelta(minutes=5)
_SNIPPET = 300


class TransientDeliveryFailure(Exception):
    """The other side is unreachable or busy; the activity is retried with backoff."""


def permanent(message: str, type_name: str = PERMANENT_DELIVERY_FAILURE) -> ApplicationError:
    """A non-retryable ApplicationError (``str()`` of it reads "<type>: <message>", which
    is what the audit trail records for a failed side effect)."""
    return ApplicationError(message, type=type_name, non_retryable=True)


def sign(secret: bytes, body: bytes) -> str:
    """The signature header's value for ``body``: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify_signature(secret: bytes, body: bytes, header: str | None) -> bool:
    """What a receiver checks: the header matches the raw body (constant-time compare)."""
    return header is not None and hmac.compare_digest(sign(secret, body), header)


#: What an activity carrying out several effects has done so far (``carry_out_effects``).
#: Every heartbeat sends it as its first detail, so an adapter's own heartbeat (a keep-alive,
#: a count of mails sent) does not wipe it and a retried attempt can skip what was done.
_PROGRESS: contextvars.ContextVar[tuple[object, ...]] = contextvars.ContextVar(
    "progress", default=()
)


def heartbeat(*details: object) -> None:
    """Report progress to Temporal when running inside an activity; a no-op elsewhere (the
    CLI uploads through the same adapters)."""
    if activity.in_activity():
        activity.heartbeat(*_PROGRESS.get(), *details)


@contextmanager
def carrying_progress() -> Iterator[Callable[[object], None]]:
    """Within the block, every heartbeat (also the adapters' keep-alives) leads with the
    last value given to the callable this yields. Setting it sends nothing by itself: a
    heartbeat RPC per item would slow every batch, and Temporal sends the last heartbeat
    with a failed attempt anyway."""
    token = _PROGRESS.set(())

    def record(progress: object) -> None:
        _PROGRESS.set((progress,))

    try:
        yield record
    finally:
        _PROGRESS.reset(token)


#: How often ``heartbeating`` reports a blocking call as alive: well inside the 10 s heartbeat
#: timeout the workflows give these activities (workflows/activity_calls.py).
HEARTBEAT_EVERY = 2.0


@contextmanager
def heartbeating(every: float = HEARTBEAT_EVERY) -> Iterator[None]:
    """Heartbeat every ``every`` seconds from a helper thread while the body runs.

    A request to a mail relay, a webhook, a portal or an object store may legitimately take
    longer than the activity's heartbeat timeout (their own time-outs are 10–60 s); this
    keeps such a live request from being cut, while a worker that dies takes its heartbeats
    with it, so Temporal retries the activity elsewhere after the heartbeat timeout rather
    than the whole start-to-close timeout. Only in a synchronous activity's thread (the
    heartbeat callable of those is thread-safe); elsewhere, a no-op."""
    try:
        asyncio.get_running_loop()
        in_thread_activity = False  # an async activity (or none): nothing to do here
    except RuntimeError:
        in_thread_activity = activity.in_activity()
    if not in_thread_activity:
        yield
        return
    context = contextvars.copy_context()
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(every):
            context.run(heartbeat)

    ticker = threading.Thread(target=tick, name="heartbeat", daemon=True)
    ticker.start()
    try:
        yield
    finally:
        stop.set()
        ticker.join()


def _retry_after(response: httpx.Response) -> timedelta | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        delay = timedelta(seconds=max(0.0, float(value)))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        delay = max(timedelta(0), when - datetime.now(UTC))
    return min(delay, MAX_RETRY_AFTER)


def post_json(
    client: httpx.Client,
    url: str,
    body: bytes,
    *,
    key: str,
    secret: bytes | None,
    what: str,
    extra_headers: dict[str, str] | None = None,
) -> tuple[bool, httpx.Response]:
    """POST a JSON body once and classify the outcome.

    Returns ``(delivered, response)``; ``delivered`` is False when the receiver says it had
    already processed ``key``. Raises TransientDeliveryFailure (retry) or a permanent
    ApplicationError as described in the module docstring.
    """
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        IDEMPOTENCY_HEADER: key,
        **(extra_headers or {}),
    }
    if secret is not None:
        headers[SIGNATURE_HEADER] = sign(secret, body)
    try:
        with heartbeating():
            response = client.post(url, content=body, headers=headers)
    except httpx.TransportError as exc:  # refused, reset, DNS, time-outs
        raise TransientDeliveryFailure(
            f"{what}: {url} unreachable ({type(exc).__name__}: {exc})"
        ) from None
    status = response.status_code
    if 200 <= status < 300:
        replayed = response.headers.get(REPLAYED_HEADER, "").strip().lower() == "true"
        return not replayed, response
    detail = f"{what}: {url} answered HTTP {status} {response.reason_phrase}"
    snippet = response.text[:_SNIPPET].strip()
    if snippet:
        detail += f": {snippet}"
    if status >= 500 or status in RETRYABLE_4XX:
        delay = _retry_after(response)
        if delay is not None:
            raise ApplicationError(detail, type=THROTTLED, next_retry_delay=delay)
        raise TransientDeliveryFailure(detail)
    # 4xx: the request itself is wrong for this receiver (and 3xx: the URL is); the same
    # request would be refused again.
    raise permanent(detail)
