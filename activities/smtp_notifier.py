"""Notifier sending each notification as e-mail through an SMTP relay (aiosmtplib).

The e-mail is rendered from the Notification built by ``models/notifications.py`` (the one
source of the texts, Vietnamese with English): a greeting naming the recipients, the body,
and a footer, as ``text/plain`` with a simple ``text/html`` alternative.

Once per intent. SMTP itself has no idempotency, so:

- every copy of a notification carries the same ``Message-ID: <sha256(key)@legisflow>``,
  ``Date`` (the workflow's ``created_at``) and ``X-Legisflow-Key: <key>``: the message is
  byte-identical on every attempt, and a copy that slips through twice is recognisably the
  same message (mail systems and clients collapse duplicates by Message-ID);
- each recipient gets their own SMTP transaction, on one connection, and a *sent ledger*
  (one marker file per key and address, created at most once) records each accepted copy,
  so a retried activity sends only to the addresses that did not accept it yet. The window
  left is a crash between the server's "250 accepted" and the marker's creation; the
  ledger is per host (``LEGISFLOW_DATA_DIR``), so put it on shared storage when workers
  run on several machines.

Classification (see ``activities/delivery.py``): connection failures, time-outs and 4xx
replies are retried; a 5xx reply to a recipient, the sender or the message is permanent
(``PermanentDeliveryFailure``); a recipient without a usable address is
``InvalidNotification``. Addresses that were accepted stay delivered either way. A refused
login or STARTTLS is a configuration error ops can fix, so it is retried (and logged).
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import html
import logging
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

import aiosmtplib

from activities.delivery import (
    INVALID_NOTIFICATION,
    PERMANENT_DELIVERY_FAILURE,
    TransientDeliveryFailure,
    heartbeat,
    heartbeating,
    permanent,
)
from activities.filesystem_store import encode_path_component, write_file_exclusive
from models.deliveries import Notification, Recipient, SendResult

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 20.0
MESSAGE_ID_DOMAIN = "legisflow"
# Deliberately loose: one "@", no spaces or angle brackets, something on either side. The
# server has the last word (a 5xx reply); this only catches what could never be delivered.
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$")
_BACKTICKS = re.compile(r"`([^`]+)`")

GREETING = "Kính gửi / Dear {names},"
FOOTER = (
    "Thư này do hệ thống legisflow gửi tự động; vui lòng không trả lời thư này.\n"
    "This message was sent automatically by legisflow; please do not reply to it."
)


def message_id(key: str) -> str:
    """The Message-ID of every copy of the notification with this key."""
    return f"<{hashlib.sha256(key.encode('utf-8')).hexdigest()}@{MESSAGE_ID_DOMAIN}>"


def usable_address(address: str | None) -> bool:
    return address is not None and _ADDRESS.fullmatch(address) is not None


OPEN = "Mở hồ sơ trên không gian làm việc / Open it in the workspace: "


def _link(notification: Notification, workspace_url: str | None) -> str | None:
    if notification.link is None or not workspace_url:
        return None
    return workspace_url.rstrip("/") + notification.link


def _plain(notification: Notification, names: str, link: str | None = None) -> str:
    opening = f"\n\n{OPEN}{link}" if link else ""
    return f"{GREETING.format(names=names)}\n\n{notification.body}{opening}\n\n-- \n{FOOTER}\n"


def _html(notification: Notification, names: str, link: str | None = None) -> str:
    """A simple HTML rendering: paragraphs, ``- `` lines as a list, `commands` as code."""

    def inline(text: str) -> str:
        return _BACKTICKS.sub(r"<code>\1</code>", html.escape(text))

    parts: list[str] = [f"<p>{inline(GREETING.format(names=names))}</p>"]
    items: list[str] = []
    for line in notification.body.splitlines():
        if line.startswith("- "):
            items.append(f"<li>{inline(line[2:])}</li>")
            continue
        if items:
            parts.append("<ul>" + "".join(items) + "</ul>")
            items = []
        if line.strip():
            parts.append(f"<p>{inline(line)}</p>")
    if items:
        parts.append("<ul>" + "".join(items) + "</ul>")
    if link:
        href = html.escape(link, quote=True)
        parts.append(f'<p>{html.escape(OPEN)}<a href="{href}">{href}</a></p>')
    footer = "<br>".join(html.escape(line) for line in FOOTER.splitlines())
    return (
        '<!DOCTYPE html>\n<html lang="vi"><head><meta charset="utf-8">'
        f"<title>{html.escape(notification.subject)}</title></head>"
        f'<body>{"".join(parts)}<hr><p style="color:#666;font-size:small">{footer}</p>'
        "</body></html>\n"
    )


def render_email(
    notification: Notification, sender: str, workspace_url: str | None = None
) -> EmailMessage:
    """The e-mail for a notification: identical bytes for identical input. With the
    deployment's ``workspace_url``, it links the case's page."""
    link = _link(notification, workspace_url)
    to = [r for r in notification.recipients if usable_address(r.email)]
    names = ", ".join(r.name or r.actor_id for r in notification.recipients)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(email.utils.formataddr((r.name, r.email or "")) for r in to)
    msg["Subject"] = notification.subject
    msg["Date"] = email.utils.format_datetime(notification.created_at)
    msg["Message-ID"] = message_id(notification.key)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    msg["X-Legisflow-Key"] = notification.key
    msg["X-Legisflow-Case"] = notification.case_id
    msg["X-Legisflow-Kind"] = notification.kind
    msg.set_content(_plain(notification, names, link), charset="utf-8")
    msg.add_alternative(_html(notification, names, link), subtype="html", charset="utf-8")
    # A fixed boundary (instead of a random one) keeps every attempt byte-identical.
    msg.set_boundary(f"legisflow-{hashlib.sha256(notification.key.encode()).hexdigest()[:32]}")
    return msg


class SentLedger:
    """Which (notification key, address) pairs an SMTP server has accepted, on disk."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str, address: str) -> Path:
        return self.root / encode_path_component(key) / encode_path_component(address.lower())

    def has(self, key: str, address: str) -> bool:
        return self._path(key, address).is_file()

    def mark(self, key: str, address: str, reply: str) -> None:
        write_file_exclusive(self._path(key, address), reply.encode("utf-8"))


@dataclass
class _Outcome:
    sent: list[str] = field(default_factory=list)
    transient: list[str] = field(default_factory=list)
    permanent: list[str] = field(default_factory=list)


class SmtpNotifier:
    """Notifier over SMTP. ``send`` is synchronous (it runs aiosmtplib on its own event
    loop): call it from a worker thread, as the activity executor does."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        ledger_dir: Path,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        use_tls: bool = False,
        validate_certs: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
        workspace_url: str | None = None,
    ) -> None:
        if starttls and use_tls:
            raise ValueError("choose STARTTLS (port 587) or implicit TLS (port 465), not both")
        envelope = email.utils.parseaddr(sender)[1]
        if not usable_address(envelope):
            raise ValueError(f"SMTP sender {sender!r} has no usable e-mail address")
        self.host = host
        self.port = port
        self.sender = sender
        self.workspace_url = workspace_url
        self.envelope_sender = envelope
        self.ledger = SentLedger(ledger_dir)
        self._username = username
        self._password = password
        self._starttls = starttls
        self._use_tls = use_tls
        self._validate_certs = validate_certs
        self._timeout = timeout

    def send(self, notification: Notification) -> SendResult:
        unaddressed = [r for r in notification.recipients if not usable_address(r.email)]
        addresses = list(
            dict.fromkeys(
                r.email for r in notification.recipients if r.email and usable_address(r.email)
            )
        )
        pending = [a for a in addresses if not self.ledger.has(notification.key, a)]
        outcome = _Outcome()
        if pending:
            msg = render_email(notification, self.sender, self.workspace_url)
            with heartbeating():  # a session may take several 20 s time-outs
                outcome = asyncio.run(self._deliver(notification.key, msg, pending))
        location = f"smtp://{self.host}:{self.port}"
        if outcome.transient:
            # Accepted copies are in the ledger: the retry sends only what is still owed.
            raise TransientDeliveryFailure(
                f"SMTP {location} deferred notification {notification.key}: "
                + "; ".join(outcome.transient)
            )
        problems = outcome.permanent + [_describe(r) for r in unaddressed]
        if problems:
            delivered_to = [a for a in addresses if a not in pending or a in outcome.sent]
            told = f" (delivered to {', '.join(delivered_to)})" if delivered_to else ""
            raise permanent(
                f"notification {notification.key} could not be delivered to "
                + "; ".join(problems)
                + told,
                PERMANENT_DELIVERY_FAILURE if outcome.permanent else INVALID_NOTIFICATION,
            )
        return SendResult(key=notification.key, delivered=bool(outcome.sent), location=location)

    async def _deliver(self, key: str, msg: EmailMessage, addresses: list[str]) -> _Outcome:
        outcome = _Outcome()
        smtp = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self._username,
            password=self._password,
            use_tls=self._use_tls,
            start_tls=self._starttls,
            validate_certs=self._validate_certs,
            timeout=self._timeout,
        )
        try:
            await smtp.connect()
        except aiosmtplib.SMTPAuthenticationError as exc:
            log.error(
                "SMTP login refused by %s:%s: %s %s", self.host, self.port, exc.code, exc.message
            )
            raise TransientDeliveryFailure(
                f"SMTP {self.host}:{self.port} refused the login ({exc.code} {exc.message}); "
                "check LEGISFLOW_SMTP_USERNAME/PASSWORD"
            ) from None
        except aiosmtplib.SMTPResponseException as exc:  # greeting, EHLO or STARTTLS refused
            raise TransientDeliveryFailure(
                f"SMTP {self.host}:{self.port} refused the session: {exc.code} {exc.message}"
            ) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise TransientDeliveryFailure(
                f"SMTP {self.host}:{self.port} unreachable ({type(exc).__name__}: {exc})"
            ) from None
        try:
            for address in addresses:
                await self._send_one(smtp, key, msg, address, outcome)
                heartbeat(len(outcome.sent))
        finally:
            if smtp.is_connected:
                try:
                    await smtp.quit()
                except (aiosmtplib.SMTPException, OSError):
                    smtp.close()
        return outcome

    async def _send_one(
        self, smtp: aiosmtplib.SMTP, key: str, msg: EmailMessage, address: str, out: _Outcome
    ) -> None:
        try:
            _, reply = await smtp.send_message(
                msg, sender=self.envelope_sender, recipients=[address]
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            for refused in exc.recipients:
                _classify(out, refused.code, f"{address}: {refused.code} {refused.message}")
            return
        except aiosmtplib.SMTPResponseException as exc:  # MAIL FROM or DATA refused
            _classify(out, exc.code, f"{address}: {exc.code} {exc.message}")
            return
        except ValueError as exc:  # an address aiosmtplib will not put on the wire
            out.permanent.append(f"{address}: {exc}")
            return
        except (aiosmtplib.SMTPException, OSError) as exc:
            # The connection died: this address and the ones after it are owed.
            raise TransientDeliveryFailure(
                f"SMTP {self.host}:{self.port} lost the connection while sending {key} to "
                f"{address} ({type(exc).__name__}: {exc})"
            ) from None
        self.ledger.mark(key, address, reply)
        out.sent.append(address)


def _classify(out: _Outcome, code: int, text: str) -> None:
    (out.permanent if 500 <= code < 600 else out.transient).append(text)


def _describe(r: Recipient) -> str:
    return f"{r.actor_id}: no usable e-mail address ({r.email!r})"


if TYPE_CHECKING:
    from activities.ports import Notifier

    _conforms: Notifier = SmtpNotifier(
        host="localhost", port=25, sender="legisflow@localhost", ledger_dir=Path()
    )
