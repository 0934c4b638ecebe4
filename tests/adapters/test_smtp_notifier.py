"""SmtpNotifier against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.delivery import TransientDeliveryFailure
from activities.smtp_notifier import SmtpNotifier, message_id
from models.deliveries import Notification, Recipient, SendResult
from tests.adapters.conftest import make_notification
from tests.adapters.servers import SmtpServer, free_port, self_signed_tls

AN = Recipient(actor_id="nguyen.van.an", name="Nguyễn Văn An", email="an@so.example")
BINH = Recipient(actor_id="le.thi.binh", name="Lê Thị Bình", email="binh@so.example")
NO_MAIL = Recipient(actor_id="khong.co.thu", name="Không Có Thư", email=None)


def notifier(port: int, tmp_path: Path, **kwargs: object) -> SmtpNotifier:
    return SmtpNotifier(
        host="127.0.0.1",
        port=port,
        sender="legisflow <legisflow@so.example>",
        ledger_dir=tmp_path / "ledger",
        starttls=False,
        timeout=5.0,
        **kwargs,  # type: ignore[arg-type]
    )


async def send(n: SmtpNotifier, notification: Notification) -> SendResult:
    # send() is synchronous (the worker runs it on a thread): keep the loop free.
    return await asyncio.to_thread(n.send, notification)


async def test_delivers_plain_and_html_with_idempotency_headers(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    notice = make_notification(recipients=[AN])
    result = await send(notifier(smtp_server.port, tmp_path), notice)
    assert result.delivered
    assert result.location == f"smtp://127.0.0.1:{smtp_server.port}"
    [mail] = smtp_server.handler.mails
    assert mail.mail_from == "legisflow@so.example"
    assert mail.rcpt_tos == ("an@so.example",)
    msg = mail.message
    assert msg["Subject"] == notice.subject  # Vietnamese survives the RFC 2047 round trip
    # (a long Message-ID is folded onto its own line: legal, hence the strip)
    assert (
        msg["Message-ID"].strip()
        == f"<{hashlib.sha256(notice.key.encode()).hexdigest()}@legisflow>"
    )
    assert msg["X-Legisflow-Key"] == notice.key
    assert msg["X-Legisflow-Kind"] == "assignment"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert "Nguyễn Văn An" in str(msg["To"])
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert plain is not None
    assert html is not None
    text = plain.get_content()
    assert text.startswith("Kính gửi / Dear Nguyễn Văn An,")
    assert "Việc cần làm / What to do:" in text
    assert "legisflow act X open_consultation" in text
    markup = html.get_content()
    assert (
        "<li>Đăng tải dự thảo / Post the draft (<code>legisflow act X open_consultation</code>)"
        in (markup)
    )


async def test_duplicate_key_is_not_sent_twice(smtp_server: SmtpServer, tmp_path: Path) -> None:
    n = notifier(smtp_server.port, tmp_path)
    notice = make_notification(recipients=[AN, BINH])
    first = await send(n, notice)
    again = await send(n, notice)  # an activity retry after a lost completion
    assert first.delivered
    assert not again.delivered
    assert sorted(smtp_server.handler.deliveries()) == [
        (notice.key, "an@so.example"),
        (notice.key, "binh@so.example"),
    ]
    # One SMTP transaction per recipient, all copies the same message.
    assert {m.message["Message-ID"].strip() for m in smtp_server.handler.mails} == {
        message_id(notice.key)
    }


async def test_connection_refused_is_retryable(tmp_path: Path) -> None:
    with pytest.raises(TransientDeliveryFailure, match="unreachable"):
        await send(notifier(free_port(), tmp_path), make_notification())


async def test_deferred_recipient_is_retried_alone(smtp_server: SmtpServer, tmp_path: Path) -> None:
    n = notifier(smtp_server.port, tmp_path)
    notice = make_notification(recipients=[AN, BINH])
    smtp_server.handler.defer.add("binh@so.example")
    with pytest.raises(TransientDeliveryFailure, match="451"):
        await send(n, notice)
    assert smtp_server.handler.deliveries() == [(notice.key, "an@so.example")]
    smtp_server.handler.defer.clear()
    result = await send(n, notice)  # the retry owes only Bình's copy
    assert result.delivered
    assert sorted(smtp_server.handler.deliveries()) == [
        (notice.key, "an@so.example"),
        (notice.key, "binh@so.example"),
    ]


async def test_rejected_address_is_permanent(smtp_server: SmtpServer, tmp_path: Path) -> None:
    n = notifier(smtp_server.port, tmp_path)
    notice = make_notification(recipients=[AN, BINH])
    smtp_server.handler.reject.add("binh@so.example")
    with pytest.raises(ApplicationError) as info:
        await send(n, notice)
    assert info.value.non_retryable
    assert info.value.type == "PermanentDeliveryFailure"
    assert "550" in str(info.value)
    assert "delivered to an@so.example" in str(info.value)
    assert smtp_server.handler.deliveries() == [(notice.key, "an@so.example")]


async def test_no_usable_address_is_invalid_notification(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    n = notifier(smtp_server.port, tmp_path)
    bad = Recipient(actor_id="x", name="X", email="not-an-address")
    with pytest.raises(ApplicationError) as info:
        await send(n, make_notification(recipients=[NO_MAIL, bad]))
    assert info.value.non_retryable
    assert info.value.type == "InvalidNotification"
    assert smtp_server.handler.mails == []
    # The addressable recipients still get theirs; the failure names the one who did not.
    with pytest.raises(ApplicationError, match=r"khong\.co\.thu") as partial:
        await send(n, make_notification(key="k/2", recipients=[AN, NO_MAIL]))
    assert partial.value.type == "InvalidNotification"
    assert smtp_server.handler.deliveries() == [("k/2", "an@so.example")]


async def test_starttls_and_login(tmp_path: Path) -> None:
    server = SmtpServer(tls_context=self_signed_tls(tmp_path), credentials=("legisflow", "mk"))
    server.start()
    try:
        good = SmtpNotifier(
            host="127.0.0.1",
            port=server.port,
            sender="legisflow@so.example",
            ledger_dir=tmp_path / "ledger",
            username="legisflow",
            password="mk",
            starttls=True,
            validate_certs=False,  # a self-signed test certificate
            timeout=5.0,
        )
        assert (await send(good, make_notification())).delivered
        assert len(server.handler.mails) == 1
        wrong = SmtpNotifier(
            host="127.0.0.1",
            port=server.port,
            sender="legisflow@so.example",
            ledger_dir=tmp_path / "ledger2",
            username="legisflow",
            password="sai",
            starttls=True,
            validate_certs=False,
            timeout=5.0,
        )
        # A refused login is a configuration error ops can fix: retried, not dropped.
        with pytest.raises(TransientDeliveryFailure, match="login"):
            await send(wrong, make_notification(key="k/3"))
        assert len(server.handler.mails) == 1
    finally:
        server.stop()
