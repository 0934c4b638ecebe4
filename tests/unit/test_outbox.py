from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from activities.outbox import OutboxNotifier
from models.deliveries import Notification, Recipient

ICT = timezone(timedelta(hours=7))
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=ICT)
SUBJECT = "Phân công thẩm định dự thảo Nghị định"
BODY = "Kính gửi đồng chí Nguyễn Văn Án,\nđề nghị hoàn thành thẩm định trước ngày 15/3."


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "outbox"


@pytest.fixture
def outbox(root: Path) -> OutboxNotifier:
    return OutboxNotifier(root)


def make_notification(
    key: str = "wf-case-1/assignment/1",
    body: str = BODY,
    created_at: datetime = T0,
) -> Notification:
    return Notification(
        key=key,
        case_id="case-1",
        kind="assignment",
        recipients=[
            Recipient(actor_id="chuyen-vien-01", name="Nguyễn Văn Án", email="an@example.vn"),
            Recipient(actor_id="vu-truong", name="Trần Thị Bình"),
        ],
        subject=SUBJECT,
        body=body,
        created_at=created_at,
    )


def json_files(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_file())


def test_send_once_writes_readable_round_tripping_json(outbox: OutboxNotifier, root: Path) -> None:
    message = make_notification()

    result = outbox.send(message)

    assert result.delivered is True
    assert result.key == message.key
    path = Path(result.location)
    assert json_files(root) == [path]
    assert path.parent == root
    assert path.suffix == ".json"
    text = path.read_bytes().decode("utf-8")
    # Vietnamese stays readable in the file, not \u-escaped.
    assert "Nguyễn Văn Án" in text
    assert SUBJECT in text
    assert Notification.model_validate(json.loads(text)) == message
    assert outbox.list_messages() == [message]


def test_same_key_again_is_suppressed_and_not_rewritten(outbox: OutboxNotifier, root: Path) -> None:
    first = outbox.send(make_notification())
    before = Path(first.location).read_bytes()

    again = outbox.send(make_notification())
    changed = outbox.send(make_notification(body="Nội dung khác"))

    assert (again.delivered, changed.delivered) == (False, False)
    assert again.location == changed.location == first.location
    assert json_files(root) == [Path(first.location)]
    assert Path(first.location).read_bytes() == before


def test_keys_with_separators_stay_inside_the_outbox(
    outbox: OutboxNotifier, tmp_path: Path, root: Path
) -> None:
    keys = ["../escape", "a/b", "a:b", "wf@host/x", "." * 300]
    for key in keys:
        assert outbox.send(make_notification(key=key)).delivered is True

    assert all(p.parent == root for p in tmp_path.rglob("*") if p.is_file())
    assert sorted(m.key for m in outbox.list_messages()) == sorted(keys)


def test_concurrent_sends_of_one_key_deliver_once(outbox: OutboxNotifier, root: Path) -> None:
    messages = [make_notification(body=f"{BODY} #{i}") for i in range(8)]
    barrier = threading.Barrier(8)

    def send(message: Notification) -> bool:
        barrier.wait()
        return outbox.send(message).delivered

    with ThreadPoolExecutor(max_workers=8) as pool:
        delivered = list(pool.map(send, messages))

    assert sorted(delivered) == [False] * 7 + [True]
    assert len(json_files(root)) == 1
    assert outbox.list_messages() == [messages[delivered.index(True)]]


def test_list_messages_sorted_by_created_at_then_key(outbox: OutboxNotifier) -> None:
    later = make_notification(key="k-a", created_at=T0 + timedelta(hours=1))
    tie_c = make_notification(key="k-c", created_at=T0)
    # Same instant as T0 written in UTC: ties are broken by key, whatever the offset.
    tie_b = make_notification(key="k-b", created_at=T0.astimezone(UTC))
    earliest = make_notification(key="k-z", created_at=T0 - timedelta(days=1))
    # Enough messages, sent in a scrambled order, that directory order cannot match by luck.
    hourly = [
        make_notification(key=f"h-{n:02d}", created_at=T0 + timedelta(days=1, hours=n))
        for n in (7, 2, 11, 0, 9, 4, 10, 1, 6, 3, 8, 5)
    ]
    for message in (later, tie_c, *hourly, tie_b, earliest):
        outbox.send(message)

    assert [m.key for m in outbox.list_messages()] == [
        "k-z",
        "k-b",
        "k-c",
        "k-a",
        *(f"h-{n:02d}" for n in range(12)),
    ]


def test_empty_outbox_lists_nothing(outbox: OutboxNotifier) -> None:
    assert outbox.list_messages() == []
