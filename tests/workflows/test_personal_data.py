"""Personal data stays out of what every operator with Temporal UI access sees: no search
attribute and no memo of a case, its monitoring or a citizen's feedback case names a person
of the directory (id, name, e-mail) or the citizen who wrote."""

from __future__ import annotations

from client.after_issuance import monitoring_id, submit_feedback
from client.comments import comment, comment_entries, ledger_id
from models.actors import Directory
from models.registry import Registry
from tests.conftest import Harness
from tests.workflows.after_issuance import in_force, monitored
from tests.workflows.test_consultation import open_consultation

CITIZEN = "Đặng Thị Hoa"
CITIZEN_CONTACT = "hoa.dt@thu.example.vn"


async def test_no_personal_data_in_search_attributes_or_memos(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    case_id = await in_force(
        harness.client,
        directory,
        registry.get("qd_ubnd_tinh"),
        harness.store,
        slug="personal-data",
        task_queue=harness.settings.task_queue,
        legal_day_seconds=86400.0,
    )
    await monitored(harness.client, case_id)
    receipt = await submit_feedback(
        harness.client,
        harness.store,
        case_id,
        author=f"{CITIZEN} <{CITIZEN_CONTACT}>",
        text="Quy định về thời hạn cấp phép chưa rõ ràng.",
    )
    personal = {CITIZEN, CITIZEN_CONTACT}
    for person in directory.people:
        personal |= {person.id, person.name, *([person.email] if person.email else [])}

    seen = []
    for workflow_id in (case_id, monitoring_id(case_id), receipt.feedback_id):
        desc = await harness.client.get_workflow_handle(workflow_id).describe()
        values = [str(pair.value) for pair in desc.typed_search_attributes]
        values += [str(v) for v in (await desc.memo()).values()]
        assert values, workflow_id
        seen += values
        leaked = [(v, p) for v in values for p in personal if p in v]
        assert not leaked, f"{workflow_id}: {leaked}"
    assert any("Quy định" in v for v in seen)  # the memo holds the title: the check saw it


async def test_a_commenters_name_never_reaches_the_ledgers_history(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    """The name is in the stored submission only (issue #19): before, every comment's
    ``CommentRequest.author`` was in the ledger's Update history."""
    case_id = await open_consultation(harness, registry, directory, "ten-nguoi-gop-y")
    receipt = await comment(
        harness.client, harness.store, case_id, author=CITIZEN, text="Cần rõ thời hạn."
    )
    assert receipt.comment_id == "C00001"
    ledger = harness.client.get_workflow_handle(ledger_id(case_id))
    history = (await ledger.fetch_history()).to_json()
    assert "Cần rõ thời hạn" not in history  # the text too is in the store, by reference
    assert CITIZEN not in history
    entries = await comment_entries(harness.client, harness.store, case_id)
    assert [e.count for e in entries] == [1]
