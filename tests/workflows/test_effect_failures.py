"""A side effect that cannot be done is recorded and reported to ops; the case goes on."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from activities.case_activities import CaseActivities
from activities.filesystem_store import FilesystemDocumentStore
from activities.outbox import OutboxNotifier
from activities.publisher import FilesystemPublisher
from client.cases import act, start_case
from localdev.walkthrough import wait_for_status
from models.actors import Directory
from models.case import ActionRequest
from models.deliveries import EffectBatch, EffectItem, EffectOutcome, Notification, SendResult
from models.documents import DocumentRef, DocumentVersion
from models.registry import Registry
from models.starting import StartRequest
from tests.adapters.conftest import make_notification
from tests.conftest import Harness, Temporal
from worker import WORKFLOWS


async def test_missing_document_is_reported_not_fatal(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    handle = await start_case(
        harness.client,
        directory,
        StartRequest(
            definition=registry.get("qd_ubnd_tinh"),
            title="Dự thảo bị thất lạc",
            starter="nguyen.van.an",
        ),
        task_queue=harness.settings.task_queue,
    )
    # A reference to content that was never uploaded: retrying cannot fix it.
    ghost = DocumentRef(sha256="ab" * 32, size=10, name="khong-ton-tai.docx")
    await act(
        harness.client,
        handle.id,
        ActionRequest(
            declare_no_interest=True,
            action="open_consultation",
            actor="nguyen.van.an",
            document=ghost,
        ),
    )
    st = await wait_for_status(
        harness.client, handle.id, lambda s: s.pending_effects == 0, timeout=120
    )
    assert st.stage == "consultation"  # the decision stands; the case is alive
    audit = await handle.query("audit")
    failed = [e["note"] for e in audit if e["action"] == "effect_failed"]
    # Storing the version and posting it on the portal both need the missing content.
    assert len(failed) == 2
    assert any(n.startswith("DocumentVersion failed") for n in failed)
    assert any(n.startswith("Publication failed") for n in failed)
    assert all("not in the store" in n for n in failed)
    told = [m for m in harness.outbox.list_messages() if m.kind == "effect_failed"]
    assert len(told) == 2
    assert {r.actor_id for m in told for r in m.recipients} == {"ops.oncall"}
    assert harness.store.list_versions(handle.id) == []
    desc = await handle.describe()
    assert desc.status is not None
    assert desc.status.name == "RUNNING"


async def test_a_batch_that_fails_as_a_whole_reports_each_effect(
    env: Temporal, registry: Registry, directory: Directory
) -> None:
    """If the activity carrying a stage entry's effects fails as a whole (here a stand-in
    refusing everything for good; in life its last attempt cut short), each of its effects
    is recorded as failed and ops are told once per effect; the case goes on."""
    calls: list[int] = []

    @activity.defn(name="carry_out_effects")
    def refuse_all(batch: EffectBatch) -> list[EffectOutcome]:
        calls.append(len(batch.items))
        raise ApplicationError("the store is gone", type="StoreGone", non_retryable=True)

    tq = f"batch-fails-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(2) as executor:
        async with Worker(
            env.client,
            task_queue=tq,
            workflows=WORKFLOWS,
            activities=[refuse_all],
            activity_executor=executor,
        ):
            handle = await start_case(
                env.client,
                directory,
                StartRequest(
                    definition=registry.get("qd_ubnd_tinh"),
                    title="Dự thảo, kho văn bản mất",
                    starter="nguyen.van.an",
                ),
                task_queue=tq,
            )
            st = await wait_for_status(
                env.client, handle.id, lambda s: s.pending_effects == 0, timeout=120
            )
            audit = await handle.query("audit")
            desc = await handle.describe()
            await handle.terminate("test done")
    assert st.stage == registry.get("qd_ubnd_tinh").initial
    failed = [e["note"] for e in audit if e["action"] == "effect_failed"]
    # The first stage's assignment notice, then ops' notice of that failure (which, failing
    # too, is recorded but not reported again).
    assert failed == ["Notification failed: StoreGone: the store is gone"] * 2
    assert calls == [1, 1]  # one batch each, never retried
    assert desc.status is not None
    assert desc.status.name == "RUNNING"


@workflow.defn(sandboxed=False)
class CarryOnce:
    """A stand-in caller of ``carry_out_effects`` with quick retries."""

    @workflow.run
    async def run(self, batch: EffectBatch) -> list[EffectOutcome]:
        outcomes: list[EffectOutcome] = await workflow.execute_activity(
            "carry_out_effects",
            batch,
            result_type=list[EffectOutcome],
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100)),
        )
        return outcomes


class _CountingStore(FilesystemDocumentStore):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.recorded = 0

    def record_version(self, version: DocumentVersion) -> bool:
        self.recorded += 1
        return super().record_version(version)


class _DownOnce(OutboxNotifier):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.calls = 0

    def send(self, notification: Notification) -> SendResult:
        self.calls += 1
        if self.calls == 1:
            raise ConnectionError("relay unreachable")
        return super().send(notification)


async def test_a_retried_batch_skips_what_its_failed_attempt_did(
    env: Temporal, tmp_path: Path
) -> None:
    """On the real server: the attempt that failed on the notice had recorded the version;
    Temporal hands its last heartbeat to the next attempt, which sends only the notice."""
    store = _CountingStore(tmp_path / "documents")
    notifier = _DownOnce(tmp_path / "outbox")
    ref = store.put_blob(b"du thao", "du-thao.docx")
    case_id = f"so-xd-daklak:thu-lai-{uuid.uuid4().hex[:6]}"
    version = DocumentVersion(
        case_id=case_id, version=1, document=ref, label="Dự thảo / Draft",
        recorded_by="nguyen.van.an", recorded_at=datetime(2026, 11, 22, 8, tzinfo=UTC),
    )  # fmt: skip
    notice = make_notification(f"{case_id}/assignment/1")
    batch = EffectBatch(items=[EffectItem(version=version), EffectItem(notification=notice)])
    tq = f"batch-retry-{uuid.uuid4().hex[:8]}"
    acts = CaseActivities(store, notifier, FilesystemPublisher(tmp_path / "published"))
    with ThreadPoolExecutor(2) as executor:
        async with Worker(
            env.client,
            task_queue=tq,
            workflows=[CarryOnce],
            activities=acts.all,
            activity_executor=executor,
        ):
            handle = await env.client.start_workflow(
                CarryOnce.run, batch, id=f"carry-{uuid.uuid4().hex[:8]}", task_queue=tq
            )
            outcomes = await handle.result()
    assert outcomes == [EffectOutcome(key=i.key) for i in batch.items]
    assert notifier.calls == 2  # failed, then sent
    assert store.recorded == 1  # the second attempt skipped the version
    assert [m.key for m in notifier.list_messages()] == [notice.key]
    attempts = [
        e.activity_task_started_event_attributes.attempt
        async for e in handle.fetch_history_events()
        if e.HasField("activity_task_started_event_attributes")
    ]
    assert attempts == [2]  # the history records the attempt that completed
