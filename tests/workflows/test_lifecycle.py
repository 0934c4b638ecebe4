"""A provincial decision's whole life on a real Temporal dev server."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import WorkflowExecutionStatus

from client.cases import start_case
from localdev.walkthrough import walk
from models.actors import Directory
from models.registry import Registry
from models.starting import StartRequest
from tests.conftest import Harness

EXPECTED_STAGES = [
    "drafting",
    "consultation",
    "synthesis",
    "dossier_review",
    "dossier_check",
    "appraisal",
    "appraisal_signoff",
    "response",
    "submission_review",
    "adoption",
    "signing",
    "gazette_submission",
    "publication",
    "awaiting_force",
    "in_force",
]

# A legal day of 100 ms: the 30-day consultation lasts 3 s, entry into force 1 s.
FAST_DAY = 0.1


async def test_full_lifecycle_from_draft_to_in_force(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    definition = registry.get("qd_ubnd_tinh", "L2025_A87")
    handle = await start_case(
        harness.client,
        directory,
        StartRequest(
            definition=definition,
            title="Quy định phân cấp quản lý đường bộ",
            starter="nguyen.van.an",
            legal_day_seconds=FAST_DAY,
        ),
        task_queue=harness.settings.task_queue,
    )
    assert handle.id == "so-xd-daklak:quy-dinh-phan-cap-quan-ly-duong-bo"

    seen: list[str] = []
    final = await walk(
        harness.client,
        handle.id,
        definition,
        harness.store,
        on_step=lambda t, st: seen.append(st.stage),
        timeout=120,
    )
    assert final.stage == "in_force"
    assert final.final

    result = await handle.result()
    desc = await handle.describe()
    assert desc.status == WorkflowExecutionStatus.COMPLETED

    # Stage sequence, from the audit trail the workflow returns.
    # Stage changes only (replies, breaches and generated reports stay in their stage).
    trail = [e for e in result.audit if e.from_stage != e.to_stage]
    assert ["drafting", *seen] == EXPECTED_STAGES
    assert [e.to_stage for e in trail] == EXPECTED_STAGES
    assert trail[0].action == "start"
    assert trail[0].actor == "nguyen.van.an"
    assert trail[-1].action == "enter_into_force"
    assert trail[-1].actor == "system"
    by_action = {e.action: e for e in trail}
    # Four eyes held: who approved is not who submitted.
    assert by_action["request_appraisal"].actor != by_action["submit_synthesis"].actor
    assert by_action["issue_appraisal_report"].actor != by_action["submit_appraisal_report"].actor
    assert by_action["sign"].actor == "bui.van.khoa"
    # Entry into force not earlier than the 10th legal day after signing. Legal days are
    # whole days (issue #16): it comes at 00:00 of that day, which can be less than ten
    # days' length after a signature late in its day, so the dates are compared.
    signed_on = by_action["sign"].legal_date
    assert by_action["enter_into_force"].legal_date >= signed_on + timedelta(days=10)

    # Every document an action carried is a stored, numbered version.
    stored = harness.store.list_versions(handle.id)
    assert stored == result.documents
    assert [v.version for v in stored] == list(range(1, len(stored) + 1))
    carried = {e.document_sha256 for e in trail if e.document_sha256}
    assert carried <= {v.document.sha256 for v in stored}
    for v in stored:
        assert harness.store.get_blob(v.document.sha256)
    # The synthesis report was generated (Word and Markdown) when the synthesis was submitted.
    report = [v for v in stored if v.document.name.startswith("bao-cao-tong-hop-y-kien")]
    assert sorted(v.document.name.rsplit(".", 1)[1] for v in report) == ["docx", "md"]
    assert {v.recorded_by for v in report} == {by_action["submit_synthesis"].actor}

    # Outbox: each person who had to act was told, once per stage, and the case closed.
    messages = harness.outbox.list_messages()
    keys = [m.key for m in messages]
    assert len(keys) == len(set(keys))
    assigned = [m for m in messages if m.kind == "assignment"]
    assert any(r.actor_id == "pham.thi.dung" for m in assigned for r in m.recipients)
    assert any(r.actor_id == "bui.van.khoa" for m in assigned for r in m.recipients)
    assert [m.kind for m in messages].count("closed") == 1
