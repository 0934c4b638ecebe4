"""WebhookNotifier and HttpPublisher against a real HTTP receiver on loopback; the
filesystem publisher."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.delivery import TransientDeliveryFailure, sign, verify_signature
from activities.publisher import FilesystemPublisher, HttpPublisher
from activities.webhook_notifier import WebhookNotifier
from models.deliveries import Publication, PublishResult, SendResult
from models.documents import DocumentRef
from tests.adapters.conftest import SECRET, make_notification
from tests.adapters.servers import HttpReceiver, free_port

DOC = DocumentRef(sha256="cd" * 32, size=1234, name="du-thao-1.docx")


def publication(key: str = "so-xd-daklak:quy-dinh/publish/consultation_portal/1") -> Publication:
    return Publication(
        key=key,
        case_id="so-xd-daklak:quy-dinh",
        channel="consultation_portal",
        title="Dự thảo Quy định phân cấp quản lý đường bộ",
        document=DOC,
        text="Đề nghị góp ý trong 30 ngày / Comments are invited for 30 days.",
    )


async def notify(n: WebhookNotifier, key: str = "case/assignment/1") -> SendResult:
    return await asyncio.to_thread(n.send, make_notification(key=key))


async def publish(p: HttpPublisher | FilesystemPublisher, item: Publication) -> PublishResult:
    return await asyncio.to_thread(p.publish, item)


def test_signature_is_hmac_sha256_of_the_body() -> None:
    body = '{"tiêu đề":"thử"}'.encode()
    expected = hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert sign(b"k", body) == f"sha256={expected}"
    assert verify_signature(b"k", body, f"sha256={expected}")
    assert not verify_signature(b"k", body + b" ", f"sha256={expected}")
    assert not verify_signature(b"other", body, f"sha256={expected}")
    assert not verify_signature(b"k", body, None)


async def test_webhook_delivers_signed_json(receiver: HttpReceiver) -> None:
    result = await notify(WebhookNotifier(receiver.url, SECRET))
    assert result.delivered
    assert result.location == receiver.url
    [req] = receiver.requests
    assert req.signature_ok  # the receiver verified X-Legisflow-Signature itself
    assert req.headers["x-legisflow-signature"].startswith("sha256=")
    assert req.key == "case/assignment/1"
    assert req.headers["x-legisflow-event"] == "notification.assignment"
    assert req.headers["content-type"] == "application/json; charset=utf-8"
    payload = req.json()
    assert payload["event"] == "notification"
    assert payload["key"] == "case/assignment/1"
    assert payload["recipients"][0]["name"] == "Nguyễn Văn An"
    assert "Việc cần làm" in payload["body"]
    assert "Nguyễn".encode() in req.body  # readable UTF-8, not \\u escapes


async def test_webhook_duplicate_key_is_one_effect(receiver: HttpReceiver) -> None:
    n = WebhookNotifier(receiver.url, SECRET)
    first = await notify(n)
    again = await notify(n)  # a retry after the first response was lost
    assert first.delivered
    assert not again.delivered  # the receiver recognised the Idempotency-Key
    assert receiver.requests_per_key() == {"case/assignment/1": 2}
    assert list(receiver.effects) == ["case/assignment/1"]


async def test_webhook_wrong_secret_is_permanent(receiver: HttpReceiver) -> None:
    with pytest.raises(ApplicationError) as info:
        await notify(WebhookNotifier(receiver.url, "not-the-secret"))
    assert info.value.non_retryable
    assert info.value.type == "PermanentDeliveryFailure"
    assert "401" in str(info.value)
    assert receiver.effects == {}


@pytest.mark.parametrize("status", [500, 502, 503, 408, 429])
async def test_webhook_transient_statuses_are_retryable(
    receiver: HttpReceiver, status: int
) -> None:
    receiver.state.status = status
    with pytest.raises(TransientDeliveryFailure, match=f"HTTP {status}"):
        await notify(WebhookNotifier(receiver.url, SECRET))


async def test_webhook_retry_after_sets_the_next_delay(receiver: HttpReceiver) -> None:
    receiver.state.status = 429
    receiver.state.retry_after = "7"
    with pytest.raises(ApplicationError) as info:
        await notify(WebhookNotifier(receiver.url, SECRET))
    assert not info.value.non_retryable
    assert info.value.next_retry_delay == timedelta(seconds=7)


@pytest.mark.parametrize("status", [400, 404, 409, 422])
async def test_webhook_client_errors_are_permanent(receiver: HttpReceiver, status: int) -> None:
    receiver.state.status = status
    with pytest.raises(ApplicationError) as info:
        await notify(WebhookNotifier(receiver.url, SECRET))
    assert info.value.non_retryable
    assert info.value.type == "PermanentDeliveryFailure"
    assert f"HTTP {status}" in str(info.value)


async def test_webhook_connection_refused_is_retryable() -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"
    with pytest.raises(TransientDeliveryFailure, match="unreachable"):
        await notify(WebhookNotifier(url, SECRET, timeout=2.0))


async def test_http_publisher_posts_once_per_key(receiver: HttpReceiver) -> None:
    p = HttpPublisher(receiver.url, SECRET, token="tok")
    first = await publish(p, publication())
    again = await publish(p, publication())
    assert first.published
    assert first.reference == "p-1"
    assert first.location.endswith("/postings/1")
    assert not again.published
    assert again.reference == "p-1"
    assert list(receiver.effects) == [publication().key]
    req = receiver.requests[0]
    assert req.signature_ok
    assert req.headers["authorization"] == "Bearer tok"
    assert req.headers["x-legisflow-event"] == "publication.consultation_portal"
    payload = req.json()
    assert payload["event"] == "publication"
    assert payload["channel"] == "consultation_portal"
    assert payload["document"]["sha256"] == DOC.sha256


async def test_http_publisher_classifies_failures(receiver: HttpReceiver) -> None:
    p = HttpPublisher(receiver.url, SECRET)
    receiver.state.status = 503
    with pytest.raises(TransientDeliveryFailure):
        await publish(p, publication())
    receiver.state.status = 400
    with pytest.raises(ApplicationError) as info:
        await publish(p, publication())
    assert info.value.non_retryable
    assert info.value.type == "PermanentDeliveryFailure"
    receiver.stop()
    with pytest.raises(TransientDeliveryFailure, match="unreachable"):
        await publish(p, publication())


async def test_filesystem_publisher_creates_once_per_key(tmp_path: Path) -> None:
    p = FilesystemPublisher(tmp_path / "publications")
    first = await publish(p, publication())
    again = await publish(p, publication())
    assert first.published
    assert not again.published
    assert first.location == again.location
    assert Path(first.location).parent.name == "consultation_portal"
    gazette = publication("k/cong_bao/1").model_copy(update={"channel": "cong_bao"})
    await publish(p, gazette)
    assert p.list_postings() == sorted([gazette, publication()], key=lambda x: x.key)
    assert p.list_postings("cong_bao") == [gazette]
