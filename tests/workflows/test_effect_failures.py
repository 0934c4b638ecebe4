"""A side effect that cannot be done is recorded and reported to ops; the case goes on."""

from __future__ import annotations

from activities.ports import DocumentRef
from models.actors import Directory
from models.case import ActionRequest
from models.registry import Registry
from tests.conftest import Harness
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
