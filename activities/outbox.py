"""Embedded default Notifier: an outbox directory (hộp thư đi) instead of real mail.

Each notification becomes ``root/<encoded key>.json``, the whole Notification as UTF-8 JSON
with Vietnamese left readable. The key is the idempotency key: the file is created at most
once, so activity retries and concurrent sends deliver each message exactly once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from activities.filesystem_store import encode_path_component, write_file_exclusive
from models.deliveries import Notification, SendResult


class OutboxNotifier:
    """Notifier writing one JSON file per message; the directory is created on first send."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def send(self, notification: Notification) -> SendResult:
        path = self.root / f"{encode_path_component(notification.key)}.json"
        # pydantic's JSON never escapes non-ASCII, i.e. it behaves like ensure_ascii=False.
        data = notification.model_dump_json(indent=2).encode("utf-8")
        # A duplicate is not compared or rewritten: the first delivery of a key is final.
        delivered = write_file_exclusive(path, data)
        return SendResult(key=notification.key, delivered=delivered, location=str(path))

    def list_messages(self) -> list[Notification]:
        """Every delivered message, sorted by created_at then key."""
        if not self.root.is_dir():
            return []
        messages = [
            Notification.model_validate_json(p.read_bytes()) for p in self.root.glob("*.json")
        ]
        return sorted(messages, key=lambda m: (m.created_at, m.key))


if TYPE_CHECKING:
    from activities.ports import Notifier

    _conforms: Notifier = OutboxNotifier(Path())
