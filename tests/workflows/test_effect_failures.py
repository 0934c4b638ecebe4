"""A side effect that cannot be done is recorded and reported to ops; the case goes on."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.ports import DocumentRef, EffectBatch, EffectOutcome
from models.actors import Directory
from models.case import ActionRequest
from models.registry import Registry
from tests.conftest import Harness
from worker import WORKFLOWS
from workflows.client import StartRequest, act, start_case
from workflows.walkthrough import wait_for_status


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
        ActionRequest(action="open_consultation", actor="nguyen.van.an", document=ghost),
    )
    st = await wait_for_status(
        harness.client, handle.id, lambda s: s.pending_effects == 0, timeout=30
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
    env: WorkflowEnvironment, registry: Registry, directory: Directory
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
                env.client, handle.id, lambda s: s.pending_effects == 0, timeout=30
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
