"""Conflicts of interest (kê khai xung đột lợi ích) on a real server: a person declares before
their first decision, one who declares an interest stands aside and a task only they could do
passes to their superior, and a superior reassigns an absent person's tasks. Every refusal
writes nothing to the case's history."""

from __future__ import annotations

import pytest

from client.after_issuance import answer_feedback, conclude_check, open_check, submit_feedback
from client.cases import act, declare_interest, reassign, status
from client.comments import comment, dispose
from client.errors import CaseActionRefused
from client.ops import audit_lines
from localdev.walkthrough import wait_for_status
from models.actors import Directory
from models.case import ActionRequest
from models.choices import Disposition, Outcome
from models.comments import DispositionRequest
from models.legality_check import Conclusion
from models.registry import Registry
from tests.conftest import Harness
from tests.workflows.after_issuance import CHECKER, HANDLER, HEAD, in_force, quiet_length
from tests.workflows.after_issuance_skipping import eventually
from tests.workflows.test_refusals import assert_refused, draft, history_length, start

DRAFTER = "nguyen.van.an"
OTHER_DRAFTER = "le.thi.binh"
#: The only holder of committee_office in Đắk Lắk, and her superior in the directory.
OFFICE = "vu.thi.giang"
OFFICE_HEAD = "do.van.hai"
#: Of the same People's Committee, holding no role of their own.
VICE_CHAIR = "phan.van.duc"


async def test_a_first_decision_needs_a_declaration_and_records_it(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    case_id = await start(harness, registry, directory, "declare-first")
    undeclared = ActionRequest(action="open_consultation", actor=DRAFTER, document=draft(harness))
    await assert_refused(
        harness, case_id, undeclared, "interest_not_declared", "--no-interest", "Điều 23"
    )

    result = await act(
        harness.client, case_id, undeclared.model_copy(update={"declare_no_interest": True})
    )
    assert result.stage == "consultation"
    st = await status(harness.client, case_id)
    [d] = st.declarations
    assert (d.person, d.has_interest) == (DRAFTER, False)
    lines = await audit_lines(harness.client, case_id)
    declared = next(i for i, x in enumerate(lines) if '"declare_interest"' in x)
    opened = next(i for i, x in enumerate(lines) if '"open_consultation"' in x)
    assert declared < opened
    assert "không có xung đột lợi ích" in lines[declared]

    # Declared once, a second "no interest" is refused and writes nothing.
    await wait_for_status(harness.client, case_id, lambda s: s.pending_effects == 0, timeout=120)
    before = await history_length(harness.client, case_id)
    with pytest.raises(CaseActionRefused) as again:
        await declare_interest(harness.client, case_id, actor=DRAFTER, interest=None)
    assert again.value.code == "already_declared"
    assert await history_length(harness.client, case_id) == before


async def test_a_declared_interest_recuses_and_a_sole_holders_task_passes_to_the_superior(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    case_id = await start(harness, registry, directory, "recusal")
    d = await declare_interest(
        harness.client, case_id, actor=DRAFTER, interest="Vợ tôi là cổ đông của doanh nghiệp"
    )
    assert d.has_interest
    # Another drafter holds the role: the task stays with them; the recused one is refused.
    await assert_refused(
        harness,
        case_id,
        ActionRequest(
            action="open_consultation",
            actor=DRAFTER,
            document=draft(harness),
            declare_no_interest=True,
        ),
        "recused",
        "Điều 23",
    )
    st = await status(harness.client, case_id)
    [may] = [a for a in st.allowed if a.action == "open_consultation"]
    assert DRAFTER not in may.actors
    assert OTHER_DRAFTER in may.actors
    with pytest.raises(CaseActionRefused) as stands:
        await declare_interest(harness.client, case_id, actor=DRAFTER, interest=None)
    assert stands.value.code == "already_recused"

    # The committee office has one holder: her task passes to her superior, who is told.
    await declare_interest(
        harness.client, case_id, actor=OFFICE, interest="Anh trai làm giám đốc nhà thầu"
    )
    st = await status(harness.client, case_id)
    assert st.roles["committee_office"] == [OFFICE, OFFICE_HEAD]
    assert [x.person for x in st.declarations] == [DRAFTER, OFFICE]
    [line] = [x for x in await audit_lines(harness.client, case_id) if '"reassigned"' in x]
    assert "Đỗ Văn Hải" in line

    async def told() -> list[str]:
        return [
            m.subject
            for m in harness.outbox.list_messages()
            if m.case_id == case_id and m.kind == "reassigned"
            and [r.actor_id for r in m.recipients] == [OFFICE_HEAD]
        ]  # fmt: skip

    [subject] = await eventually("the notice to the superior", told)
    assert "Phân công lại" in subject


async def test_a_superior_reassigns_an_absent_persons_tasks_and_nobody_else_may(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    case_id = await start(harness, registry, directory, "reassign")
    await wait_for_status(harness.client, case_id, lambda s: s.pending_effects == 0, timeout=120)
    before = await history_length(harness.client, case_id)
    with pytest.raises(CaseActionRefused) as not_theirs:
        await reassign(
            harness.client, directory, case_id, actor=DRAFTER, person=OFFICE, to=VICE_CHAIR,
            reason="Nghỉ phép dài ngày",
        )  # fmt: skip
    assert not_theirs.value.code == "not_superior"
    with pytest.raises(CaseActionRefused) as elsewhere:
        await reassign(
            harness.client, directory, case_id, actor=OFFICE_HEAD, person=OFFICE, to=DRAFTER,
            reason="Nghỉ phép dài ngày",
        )  # fmt: skip
    assert elsewhere.value.code == "other_agency"
    assert await history_length(harness.client, case_id) == before

    held = await reassign(
        harness.client, directory, case_id, actor=OFFICE_HEAD, person=OFFICE, to=VICE_CHAIR,
        reason="Nghỉ phép dài ngày",
    )  # fmt: skip
    assert held == {"committee_office": [VICE_CHAIR]}
    st = await status(harness.client, case_id)
    assert st.roles["committee_office"] == [VICE_CHAIR]
    [line] = [x for x in await audit_lines(harness.client, case_id) if '"reassign"' in x]
    assert OFFICE_HEAD in line
    assert "Nghỉ phép dài ngày" in line


async def test_feedback_and_checks_ask_for_declarations_too(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    """After issuance the same rule holds: an answer without a declaration is refused and
    nothing is written; a handler who declares an interest stands aside and another
    answerer of the agency answers; a checker declares on a check before concluding it."""
    h = harness.client
    case_id = await in_force(
        h, directory, registry.get("qd_ubnd_tinh"), harness.store, slug="interests-after",
        task_queue=harness.settings.task_queue, legal_day_seconds=86400.0,
    )  # fmt: skip
    receipt = await submit_feedback(h, harness.store, case_id, author="Người dân", text="Điều 2?")
    fid = receipt.feedback_id
    before = await quiet_length(h, fid)
    with pytest.raises(CaseActionRefused) as undeclared:
        await answer_feedback(h, harness.store, fid, actor=HANDLER, text="Đã rõ.")
    assert undeclared.value.code == "interest_not_declared"
    assert await history_length(h, fid) == before

    await declare_interest(h, fid, actor=HANDLER, interest="Người phản ánh là người thân")
    with pytest.raises(CaseActionRefused) as stands:
        await answer_feedback(
            h, harness.store, fid, actor=HANDLER, text="Đã rõ.", declare_no_interest=True
        )
    assert stands.value.code == "recused"
    st = await answer_feedback(
        h, harness.store, fid, actor=HEAD, text="Đã rõ.", declare_no_interest=True
    )
    assert st.stage == "feedback_answered"
    assert [(d.person, d.has_interest) for d in st.declarations] == [
        (HANDLER, True),
        (HEAD, False),
    ]
    assert [s.actor for s in st.trail if s.action == "declare_interest"] == [HANDLER, HEAD]

    cid = await open_check(
        h, directory, case_id, checker=CHECKER, task_queue=harness.settings.task_queue
    )
    await declare_interest(h, cid, actor=CHECKER, interest=None)
    checked = await conclude_check(h, cid, Conclusion(actor=CHECKER, outcome=Outcome.CLEAN))
    assert [d.person for d in checked.declarations] == [CHECKER]


async def test_dispositions_ask_for_declarations_and_a_recusal_reaches_the_ledger(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    """A comment's disposition is a decision too: without a declaration it is refused; a
    drafter who then declares an interest on the case stands aside on its comments as well
    (the client API makes the declaration on the running ledger), and another drafter gives
    the disposition."""
    h = harness.client
    case_id = await start(harness, registry, directory, "interests-comments")
    await act(
        h, case_id,
        ActionRequest(action="open_consultation", actor=DRAFTER, document=draft(harness),
                      declare_no_interest=True),
    )  # fmt: skip
    await wait_for_status(h, case_id, lambda s: s.pending_effects == 0, timeout=120)
    receipt = await comment(h, harness.store, case_id, author="VCCI", text="Sửa Điều 3.")
    accepted = DispositionRequest(
        comment_id=receipt.comment_id, disposition=Disposition.ACCEPTED, actor=DRAFTER
    )
    with pytest.raises(CaseActionRefused) as undeclared:
        await dispose(h, case_id, accepted)
    assert undeclared.value.code == "interest_not_declared"

    await declare_interest(h, case_id, actor=DRAFTER, interest="Doanh nghiệp của người nhà")
    with pytest.raises(CaseActionRefused) as stands:
        await dispose(h, case_id, accepted.model_copy(update={"declare_no_interest": True}))
    assert stands.value.code == "recused"
    done = await dispose(
        h, case_id,
        accepted.model_copy(update={"actor": OTHER_DRAFTER, "declare_no_interest": True}),
    )  # fmt: skip
    assert done.by == OTHER_DRAFTER
