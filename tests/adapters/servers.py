"""Real servers on loopback for the adapter tests: SMTP (aiosmtpd), an HTTP receiver
(webhook or portal, on http.server) and S3 (moto in server mode). Each can be stopped and
restarted on the same port to stage an outage, and counts what it received."""

from __future__ import annotations

import email
import email.policy
import json
import logging
import random
import socket
import ssl
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from moto.server import ThreadedMotoServer

from activities.delivery import (
    IDEMPOTENCY_HEADER,
    REPLAYED_HEADER,
    SIGNATURE_HEADER,
    verify_signature,
)


def _ephemeral_range() -> range:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return range(int(low), int(high) + 1)
    except (OSError, ValueError):
        return range(32768, 61000)


def free_port() -> int:
    """A free port *outside* the kernel's ephemeral range: a server stopped for an outage
    gets its port back on restart, which an ephemeral port might not (any outgoing
    connection may be given it meanwhile)."""
    ephemeral = _ephemeral_range()
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20000, 32000)
        if port in ephemeral:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port found outside the ephemeral range")


# ---- SMTP ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mail:
    """One accepted SMTP transaction."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    @property
    def key(self) -> str:
        # A long key is folded onto its own header line; unfolding leaves the leading space.
        return str(self.message["X-Legisflow-Key"]).strip()

    @property
    def kind(self) -> str:
        return str(self.message["X-Legisflow-Kind"])


class MailHandler:
    """aiosmtpd handler: refuses listed recipients (550) or defers them (451), records the
    rest, and counts every RCPT it saw per address."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.rcpt_attempts: dict[str, int] = {}
        self.reject: set[str] = set()
        self.defer: set[str] = set()
        self._lock = threading.Lock()

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        with self._lock:
            self.rcpt_attempts[address] = self.rcpt_attempts.get(address, 0) + 1
        if address in self.reject:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        if address in self.defer:
            return f"451 4.2.0 <{address}>: mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.mails.append(
                Mail(
                    mail_from=str(envelope.mail_from),
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    message=message,
                )
            )
        return "250 2.0.0 accepted"

    def deliveries(self) -> list[tuple[str, str]]:
        """(notification key, recipient address) for every accepted copy."""
        with self._lock:
            return [(m.key, r) for m in self.mails for r in m.rcpt_tos]


class _Authenticator:
    def __init__(self, username: str, password: str) -> None:
        self.expected = (username.encode(), password.encode())

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and (
                auth_data.login,
                auth_data.password,
            )
            == self.expected
        )
        return AuthResult(success=ok, handled=False)


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that can go down and come back on the same port."""

    def __init__(
        self,
        *,
        tls_context: ssl.SSLContext | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.handler = MailHandler()
        self.port = free_port()
        self._tls = tls_context
        self._credentials = credentials
        self._controller: Controller | None = None

    def start(self) -> None:
        kwargs: dict[str, Any] = {"enable_SMTPUTF8": True}
        if self._tls is not None:
            kwargs |= {"tls_context": self._tls, "require_starttls": True}
        if self._credentials is not None:
            kwargs |= {
                "authenticator": _Authenticator(*self._credentials),
                "auth_required": True,
                "auth_require_tls": self._tls is not None,
            }
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None


def self_signed_tls(directory: Path) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "legisflow test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


# ---- HTTP receiver (webhook endpoint, e-portal) ----------------------------------------------


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool

    @property
    def key(self) -> str:
        return self.headers.get(IDEMPOTENCY_HEADER.lower(), "")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _ReceiverState:
    secret: bytes | None
    requests: list[Received] = field(default_factory=list)
    effects: dict[str, bytes] = field(default_factory=dict)  # idempotency key -> first body
    #: Answer every request with this status instead (e.g. 400, 503).
    status: int | None = None
    retry_after: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        state = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        signed = state.secret is None or verify_signature(
            state.secret, body, headers.get(SIGNATURE_HEADER.lower())
        )
        req = Received(path=self.path, headers=headers, body=body, signature_ok=signed)
        with state.lock:
            state.requests.append(req)
            if state.status is not None:
                self._answer(state.status, {"error": "forced"})
                return
            if not signed:
                self._answer(401, {"error": "bad signature"})
                return
            if not req.key:
                self._answer(400, {"error": "Idempotency-Key required"})
                return
            replay = req.key in state.effects
            if not replay:
                state.effects[req.key] = body
            n = list(state.effects).index(req.key) + 1
        self._answer(
            200 if replay else 201,
            {"id": f"p-{n}", "url": f"http://127.0.0.1:{self.server.server_port}/postings/{n}"},
            {REPLAYED_HEADER: "true"} if replay else {},
        )

    def _answer(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.server.state.retry_after and status in (429, 503):
            self.send_header("Retry-After", self.server.state.retry_after)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, state: _ReceiverState) -> None:
        self.state = state
        super().__init__(("127.0.0.1", port), _Handler)


class HttpReceiver:
    """A webhook endpoint / e-portal: verifies signatures, deduplicates by Idempotency-Key
    (201 for a new key, 200 + Idempotent-Replayed for a repeat), counts everything."""

    def __init__(self, secret: bytes | None = None) -> None:
        self.state = _ReceiverState(secret=secret)
        self.port = free_port()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    @property
    def requests(self) -> list[Received]:
        with self.state.lock:
            return list(self.state.requests)

    @property
    def effects(self) -> dict[str, bytes]:
        with self.state.lock:
            return dict(self.state.effects)

    def requests_per_key(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.requests:
            counts[r.key] = counts.get(r.key, 0) + 1
        return counts

    def start(self) -> None:
        self._server = _Server(self.port, self.state)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


# ---- S3 (moto server) ------------------------------------------------------------------------


class S3Server:
    """moto's S3 over real HTTP; its data lives in this process, so it survives a restart."""

    def __init__(self) -> None:
        self.port = free_port()
        self._server: ThreadedMotoServer | None = None
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
