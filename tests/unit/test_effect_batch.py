"""One stage entry's effects in one activity (``carry_out_effects``, issue #8): each item is
done once, in order; a refusal stays with its own item; a passing outage retries only what
is not done yet; the last attempt the window allows reports what it could not do."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.testing import ActivityEnvironment

from activities.case_activities import CaseActivities
from activities.filesystem_store import FilesystemDocumentStore
from activities.outbox import OutboxNotifier
from activities.publisher import FilesystemPublisher
from models.deliveries import (
    EffectBatch,
    EffectItem,
    EffectOutcome,
    Notification,
    Publication,
    SendResult,
)
from models.documents import DocumentRef, DocumentVersion
from tests.adapters.conftest import make_notification
from workflows.activity_calls import RETRY, SCHEDULE_TO_CLOSE, START_TO_CLOSE

CASE = "so-xd-daklak:quy-dinh"
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


class FlakyNotifier:
    """Delivers to the outbox, but the first ``failures`` sends find the relay down."""

    def __init__(self, outbox: OutboxNotifier, failures: int) -> None:
        self.outbox, self.failures = outbox, failures
        self.calls: list[str] = []

    def send(self, notification: Notification) -> SendResult:
        self.calls.append(notification.key)
        if self.failures:
            self.failures -= 1
            raise ConnectionError("relay unreachable")
        return self.outbox.send(notification)


@pytest.fixture
def store(tmp_path: Path) -> FilesystemDocumentStore:
    return FilesystemDocumentStore(tmp_path / "documents")


def _batch(store: FilesystemDocumentStore, *, stored: bool = True) -> EffectBatch:
    ref = (
        store.put_blob(b"du thao", "du-thao.docx")
        if stored
        else DocumentRef(sha256="ab" * 32, size=7, name="khong-co.docx")
    )
    version = DocumentVersion(
        case_id=CASE, version=1, document=ref, label="Dự thảo / Draft",
        recorded_by="nguyen.van.an", recorded_at=NOW,
    )  # fmt: skip
    posting = Publication(
        key=f"{CASE}/publish/consultation_portal/1", case_id=CASE,
        channel="consultation_portal", title="Quy định", document=ref, text="Góp ý",
    )  # fmt: skip
    return EffectBatch(
        items=[
            EffectItem(version=version),
            EffectItem(notification=make_notification(f"{CASE}/assignment/1")),
            EffectItem(publication=posting),
        ]
    )


def _env(**info: object) -> tuple[ActivityEnvironment, list[tuple[object, ...]]]:
    """An activity environment with the case workflows' retry policy and timeouts."""
    env = ActivityEnvironment()
    defaults: dict[str, object] = {
        "retry_policy": RETRY,
        "schedule_to_close_timeout": SCHEDULE_TO_CLOSE,
        "start_to_close_timeout": START_TO_CLOSE,
        "scheduled_time": datetime.now(UTC),
    }
    env.info = dataclasses.replace(env.info, **(defaults | info))  # type: ignore[arg-type]
    beats: list[tuple[object, ...]] = []
    env.on_heartbeat = lambda *details: beats.append(details)
    return env, beats


def _activities(
    tmp_path: Path, store: FilesystemDocumentStore, failures: int = 0
) -> tuple[CaseActivities, FlakyNotifier, OutboxNotifier, FilesystemPublisher]:
    outbox = OutboxNotifier(tmp_path / "outbox")
    notifier = FlakyNotifier(outbox, failures)
    publisher = FilesystemPublisher(tmp_path / "published")
    return CaseActivities(store, notifier, publisher), notifier, outbox, publisher


def test_every_item_is_done_once_in_order(tmp_path: Path, store: FilesystemDocumentStore) -> None:
    acts, _notifier, outbox, publisher = _activities(tmp_path, store)
    batch = _batch(store)
    env, _ = _env()
    outcomes = env.run(acts.carry_out_effects, batch)
    assert outcomes == [EffectOutcome(key=item.key) for item in batch.items]
    assert [v.version for v in store.list_versions(CASE)] == [1]
    assert [m.key for m in outbox.list_messages()] == [f"{CASE}/assignment/1"]
    assert [p.key for p in publisher.list_postings()] == [f"{CASE}/publish/consultation_portal/1"]
    # Run again (a retry after a lost completion): nothing is done twice.
    assert env.run(acts.carry_out_effects, batch) == outcomes
    assert len(store.list_versions(CASE)) == 1
    assert len(outbox.list_messages()) == 1
    assert len(publisher.list_postings()) == 1


def test_a_refused_item_fails_alone(tmp_path: Path, store: FilesystemDocumentStore) -> None:
    """Content never uploaded: its version and its posting are refused for good (the case
    records effect_failed for each), and the notice between them still goes out."""
    acts, _, outbox, publisher = _activities(tmp_path, store)
    batch = _batch(store, stored=False)
    env, _ = _env()
    version, notice, posting = env.run(acts.carry_out_effects, batch)
    assert version.error is not None
    assert version.error.startswith("BlobNotFound: ")
    assert "not in the store" in version.error
    assert notice.error is None
    assert posting.error is not None
    assert posting.error.startswith("BlobNotFound: ")
    assert [m.key for m in outbox.list_messages()] == [notice.key]
    assert store.list_versions(CASE) == []
    assert publisher.list_postings() == []


def test_an_outage_retries_only_what_is_not_done(
    tmp_path: Path, store: FilesystemDocumentStore
) -> None:
    acts, notifier, outbox, publisher = _activities(tmp_path, store, failures=1)
    batch = _batch(store)
    env, beats = _env()
    with pytest.raises(ConnectionError, match="relay unreachable"):
        env.run(acts.carry_out_effects, batch)
    # The other items ran; the failed attempt's last heartbeat says which were done.
    assert len(store.list_versions(CASE)) == 1
    assert len(publisher.list_postings()) == 1
    assert outbox.list_messages() == []
    progress = beats[-1]
    assert sorted(batch.done_in(progress)) == [0, 2]

    # Temporal's next attempt gets that heartbeat: it only sends the notice.
    retry, _ = _env(attempt=2, heartbeat_details=list(progress))
    recorded = store.record_version

    def no_second_record(version: DocumentVersion) -> bool:
        raise AssertionError(f"version {version.version} recorded again")

    store.record_version = no_second_record  # type: ignore[method-assign]
    outcomes = retry.run(acts.carry_out_effects, batch)
    store.record_version = recorded  # type: ignore[method-assign]
    assert outcomes == [EffectOutcome(key=item.key) for item in batch.items]
    assert notifier.calls == [batch.items[1].key] * 2
    assert [m.key for m in outbox.list_messages()] == [batch.items[1].key]


def test_the_last_attempt_reports_what_it_could_not_do(
    tmp_path: Path, store: FilesystemDocumentStore
) -> None:
    """When no further attempt fits in the day the case gives its effects, the item still
    failing is reported in its outcome (the case then tells ops) instead of failing the
    whole batch, whose other items were done."""
    acts, _, outbox, _ = _activities(tmp_path, store, failures=99)
    batch = _batch(store)
    almost_a_day_ago = datetime.now(UTC) - SCHEDULE_TO_CLOSE + timedelta(seconds=20)
    env, _ = _env(attempt=300, scheduled_time=almost_a_day_ago)
    version, notice, posting = env.run(acts.carry_out_effects, batch)
    assert version.error is None
    assert posting.error is None
    assert notice.error == "relay unreachable (gave up after 300 attempts)"
    assert outbox.list_messages() == []
    # Earlier in the window the same failure is retried, not reported.
    env, _ = _env(attempt=300, scheduled_time=datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(ConnectionError):
        env.run(acts.carry_out_effects, batch)


def test_without_a_window_an_outage_is_always_retried(
    tmp_path: Path, store: FilesystemDocumentStore
) -> None:
    """No schedule-to-close (None, or 0 as some SDK paths report it): Temporal retries
    without end, so the batch never gives an item up on its own."""
    acts, _, _, _ = _activities(tmp_path, store, failures=99)
    batch = _batch(store)
    for window in (None, timedelta(0)):
        env, _ = _env(attempt=10_000, schedule_to_close_timeout=window)
        with pytest.raises(ConnectionError):
            env.run(acts.carry_out_effects, batch)


def test_progress_that_does_not_match_the_batch_is_ignored(
    store: FilesystemDocumentStore,
) -> None:
    batch = _batch(store)
    done = {1: EffectOutcome(key=batch.items[1].key)}
    assert batch.done_in([EffectBatch.progress(done)]) == done
    other = {1: EffectOutcome(key="another-case/assignment/1")}
    assert batch.done_in([EffectBatch.progress(other)]) == {}
    assert batch.done_in([{"key": "blobs/x", "uploaded": 10}]) == {}  # an S3 upload's detail
    assert batch.done_in([3]) == {}  # the SMTP notifier's count of mails sent
    assert batch.done_in([]) == {}


def test_an_item_holds_exactly_one_effect(store: FilesystemDocumentStore) -> None:
    version = _batch(store).items[0].version
    with pytest.raises(ValueError, match="one version, notification or publication"):
        EffectItem()
    with pytest.raises(ValueError, match="one version, notification or publication"):
        EffectItem(version=version, notification=make_notification())
