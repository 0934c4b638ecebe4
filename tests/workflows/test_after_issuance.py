"""After issuance on the real dev server: publication in the Công báo and entry into force
starting the document's monitoring; citizens' feedback answered, forwarded to the competent
agency and refused when it should be; an amendment proposal starting a linked drafting case;
each conclusion of a legality check. Deadlines with real legal lengths (breaches, the yearly
report, continue-as-new over ten years) are in test_after_issuance_time.py.

A legal day lasts a minute here: no deadline of these cases passes while a test runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest
from temporalio.client import WorkflowExecutionStatus

from client.after_issuance import (
    answer_feedback,
    check_status,
    classify_feedback,
    conclude_check,
    feedback_status,
    forward_feedback,
    handle_check,
    monitoring_id,
    monitoring_status,
    open_check,
    propose_amendment,
    record_event,
    submit_feedback,
)
from client.cases import start_case, status
from client.errors import CaseActionRefused
from models.actors import Directory
from models.calendar import DayUnit
from models.choices import Category, EventKind, Handling, Outcome
from models.feedback import (
    AmendmentProposal,
    ClassifyRequest,
    FeedbackStatus,
    ForwardRequest,
)
from models.legality_check import Conclusion, HandlingRequest
from models.links import LinkKind
from models.monitoring import EventRequest, MonitoringStatus
from models.registry import Registry
from models.starting import StartRequest
from tests.conftest import Harness
from tests.workflows.after_issuance import (
    CHECKER,
    DRAFTER,
    HANDLER,
    HEAD,
    HIGHER,
    ISSUER,
    OFFICER,
    OTHER_HANDLER,
    in_force,
    messages,
    monitored,
    postings,
    quiet_length,
    until,
)
from workflows import search_attributes as sa
from workflows.drafting.legislative_process import LegislativeProcess

# Stages of the procedures after issuance (models/post_issuance.yaml), as cases report them.
IN_HANDLING, FORWARDED, ANSWERED = "feedback_in_handling", "feedback_forwarded", "feedback_answered"
CLEAN, HANDLING, ESCALATED, HANDLED = (
    "check_clean",
    "check_handling",
    "check_escalated",
    "check_handled",
)
SUSPENDED, ANNULLED = "suspended", "annulled"


DAY = 60.0  # seconds per legal day
T = TypeVar("T")


async def document(harness: Harness, registry: Registry, directory: Directory, slug: str) -> str:
    return await in_force(
        harness.client,
        directory,
        registry.get("qd_ubnd_tinh"),
        harness.store,
        slug=slug,
        task_queue=harness.settings.task_queue,
        legal_day_seconds=DAY,
    )


async def test_signed_text_is_published_and_monitoring_starts_on_entry_into_force(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    case_id = await document(harness, registry, directory, "cong-bao")
    st = await status(harness.client, case_id)
    assert (st.stage, st.final) == ("in_force", True)
    # The Publisher posted the signed text in the Công báo, once.
    [posting] = postings(harness.settings.data_dir, "cong_bao")
    signed = next(v for v in st.documents if v.label.startswith("Ký ban hành"))
    assert posting.case_id == case_id
    assert posting.document == signed.document
    assert "Đăng Công báo" in posting.text
    # The case completed; its monitoring lives on, visible to ops.
    desc = await harness.client.get_workflow_handle(case_id).describe()
    assert desc.status == WorkflowExecutionStatus.COMPLETED
    mon = await monitored(harness.client, case_id)
    assert (mon.id, mon.status) == (monitoring_id(case_id), "in_force")
    assert mon.document.case_id == case_id
    trail = await harness.client.get_workflow_handle(case_id).query(LegislativeProcess.audit)
    assert mon.in_force_at == next(e.at for e in trail if e.action == "enter_into_force")
    # The implementation plan counts from the entry into force, with its basis.
    plan = {p.item: p for p in mon.plan}
    assert set(plan) == {"implementation_plan", "dissemination"}
    day0 = mon.time.clock().legal_date(mon.in_force_at)
    # 10 days, run on to the next working day when the tenth is a day off (BLDS Điều 148 k5).
    calendar = mon.time.legal_calendar()
    due = plan["implementation_plan"].due_legal_date
    assert due == calendar.roll_over(calendar.add(day0, 10, DayUnit.CALENDAR)).due
    assert (due - day0).days >= 10
    assert calendar.is_working_day(due)
    assert plan["implementation_plan"].rule.confirmed is False
    assert mon.monitoring_officers == [OFFICER]
    assert mon.feedback_answerers == [HANDLER, HEAD]
    mdesc = await harness.client.get_workflow_handle(mon.id).describe()
    assert mdesc.status == WorkflowExecutionStatus.RUNNING
    attrs = mdesc.typed_search_attributes
    assert attrs.get(sa.LEGAL_STAGE) == "monitoring"
    assert attrs.get(sa.DOCUMENT_TYPE) == "qd_ubnd_tinh"
    assert attrs.get(sa.DRAFTING_AGENCY) == "so-xd-daklak"
    assert attrs.get(sa.OVERDUE) is False
    # The monitoring officer was told, with the plan and its dates.
    [started] = await until(
        "monitoring_started notice",
        lambda: _now(messages(harness.outbox, mon.id, "monitoring_started")),
    )
    assert [r.actor_id for r in started.recipients] == [OFFICER]
    assert f"{plan['implementation_plan'].due_legal_date:%d/%m/%Y}" in started.body


async def _now(value: T) -> T:
    return value


async def test_feedback_answered_and_forwarded_with_links_both_ways(
    harness: Harness, registry: Registry, directory: Directory
) -> None:

    case_id = await document(harness, registry, directory, "phan-anh")
    await monitored(harness.client, case_id)
    h, store = harness.client, harness.store
    text = "Đề nghị làm rõ thời hạn cấp phép tại Điều 5."
    first = await submit_feedback(h, store, case_id, author="Nguyễn Thị Mai", text=text)
    assert first.feedback_id == f"{monitoring_id(case_id)}/feedback/1"
    assert first.agency == "Sở Xây dựng tỉnh Đắk Lắk"
    # The citizen's name and text are in the store, not in Temporal.
    fb = await feedback_status(h, first.feedback_id)
    history = await h.get_workflow_handle(first.feedback_id).fetch_history()
    assert "Nguyễn Thị Mai" not in history.to_json()
    # The handlers were told, with both deadlines and their basis.
    [told] = await until(
        "feedback_received", lambda: _now(messages(harness.outbox, first.feedback_id))
    )
    assert {r.actor_id for r in told.recipients} == {HANDLER}
    assert "Công điện 89/CĐ-TTg" in told.body
    assert [d.days for d in fb.deadlines] == [2, 15]
    assert [d.unit for d in fb.deadlines] == ["working", "calendar"]
    assert [d.due_legal_date for d in fb.deadlines] == [d.due for d in first.due]

    st = await classify_feedback(
        h,
        first.feedback_id,
        ClassifyRequest(declare_no_interest=True, actor=HANDLER, category=Category.REPORT),
    )
    assert (st.stage, st.category) == (IN_HANDLING, Category.REPORT)
    st = await answer_feedback(
        h,
        store,
        first.feedback_id,
        actor=HANDLER,
        text="Thời hạn là 10 ngày làm việc.",
        declare_no_interest=True,
    )
    assert (st.stage, st.answered_by, st.late) == (ANSWERED, HANDLER, False)
    assert st.answer is not None
    assert store.get_blob(st.answer.sha256).decode() == "Thời hạn là 10 ngày làm việc."

    # The second one belongs to another agency: forwarded, whose own case starts.
    second = await submit_feedback(
        h, store, case_id, author="Trần Văn Nam", text="Giá nước tưới tiêu quá cao."
    )
    st = await forward_feedback(
        h,
        second.feedback_id,
        ForwardRequest(
            declare_no_interest=True,
            actor=HANDLER,
            agency="so-nn-daklak",
            note="Thuộc lĩnh vực nông nghiệp",
        ),
    )
    target = f"{second.feedback_id}/so-nn-daklak"
    assert (st.stage, st.forwarded_to) == (FORWARDED, target)
    assert [(link.kind, link.target) for link in st.links] == [(LinkKind.FORWARDED_TO, target)]
    theirs = await until(
        "the competent agency's case",
        lambda: _status_or_none(harness, target),
    )
    assert (theirs.agency, theirs.answerers) == ("so-nn-daklak", [OTHER_HANDLER, "pham.van.hung"])
    assert [(link.kind, link.target) for link in theirs.links] == [
        (LinkKind.FORWARDED_FROM, second.feedback_id)
    ]
    # Its own 15 days count from its own receipt: the forwarding decision.
    assert theirs.received_at == st.links[0].at
    assert theirs.received_at > (await feedback_status(h, second.feedback_id)).received_at
    st = await answer_feedback(
        h, store, target, actor=OTHER_HANDLER, text="Sở NN&MT trả lời.", declare_no_interest=True
    )
    assert st.stage == ANSWERED

    # The third stays open. The monitoring counted each, once.
    third = await submit_feedback(h, store, case_id, author="Lê Tú", text="Góp ý khác.")
    mon = await until(
        "monitoring counts",
        lambda: _mon_when(harness, case_id, lambda m: m.totals.feedback_answered == 2),
    )
    t = mon.totals
    assert (t.feedback_received, t.feedback_forwarded, t.feedback_forwarded_in) == (3, 1, 1)
    assert (t.feedback_answered, t.feedback_answered_late, t.feedback_breaches) == (2, 0, 0)
    assert [f.id for f in mon.open_feedback] == [third.feedback_id]


async def test_bad_feedback_input_is_refused_and_nothing_is_lost(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    case_id = await document(harness, registry, directory, "phan-anh-sai")
    await monitored(harness.client, case_id)
    h, store = harness.client, harness.store
    # On a document not in force (still being drafted): refused, with its stage.
    draft = await start_case(
        h,
        directory,
        StartRequest(
            definition=registry.get("qd_ubnd_tinh"),
            title="Dự thảo chưa ban hành",
            starter=DRAFTER,
            slug="chua-ban-hanh",
            legal_day_seconds=DAY,
        ),
        task_queue=harness.settings.task_queue,
    )
    with pytest.raises(CaseActionRefused) as refused:
        await submit_feedback(h, store, draft.id, author="A", text="Ý kiến")
    assert refused.value.code == "not_in_force"
    assert "stage drafting" in str(refused.value)

    receipt = await submit_feedback(h, store, case_id, author="B", text="Phản ánh hợp lệ")
    fid = receipt.feedback_id
    before = await quiet_length(h, fid)
    # An answer by someone outside the competent agency.
    with pytest.raises(CaseActionRefused) as outsider:
        await answer_feedback(
            h, store, fid, actor=OTHER_HANDLER, text="Không phải của tôi", declare_no_interest=True
        )
    assert outsider.value.code == "not_competent"
    assert "Sở Xây dựng tỉnh Đắk Lắk" in str(outsider.value)
    # Forwarding to an agency the directory does not know.
    with pytest.raises(CaseActionRefused) as unknown:
        await forward_feedback(
            h, fid, ForwardRequest(declare_no_interest=True, actor=HANDLER, agency="so-khong-co")
        )
    assert unknown.value.code == "unknown_agency"
    assert "so-khong-co" in str(unknown.value)
    with pytest.raises(CaseActionRefused) as same:
        await forward_feedback(
            h, fid, ForwardRequest(declare_no_interest=True, actor=HANDLER, agency="so-xd-daklak")
        )
    assert same.value.code == "same_agency"
    # Refusals wrote nothing; the case is still open, as it was.
    assert len((await h.get_workflow_handle(fid).fetch_history()).events) == before
    assert (await feedback_status(h, fid)).stage == "feedback_received"

    await answer_feedback(
        h, store, fid, actor=HEAD, text="Trả lời lần một", declare_no_interest=True
    )
    await until("case closed", lambda: _closed(harness, fid))
    # A second answer to a closed case: refused, with who answered; the first one stands.
    with pytest.raises(CaseActionRefused) as again:
        await answer_feedback(
            h, store, fid, actor=HANDLER, text="Trả lời lần hai", declare_no_interest=True
        )
    assert again.value.code == "case_closed"
    assert f"answered by {HEAD}" in str(again.value)
    final = await feedback_status(h, fid)
    assert final.answered_by == HEAD
    assert store.get_blob(final.answer.sha256 if final.answer else "").decode() == "Trả lời lần một"


async def test_amendment_proposal_starts_a_linked_drafting_case(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    case_id = await document(harness, registry, directory, "de-xuat-sua-doi")
    await monitored(harness.client, case_id)
    h = harness.client
    receipt = await submit_feedback(
        h, harness.store, case_id, author="Hiệp hội", text="Điều 7 mâu thuẫn với Luật Đường bộ."
    )
    reason = "Kiến nghị có cơ sở: Điều 7 trái Luật Đường bộ 2024"
    link = await propose_amendment(
        h,
        receipt.feedback_id,
        AmendmentProposal(declare_no_interest=True, actor=HEAD, reason=reason),
    )
    assert link.kind is LinkKind.AMENDED_BY
    assert link.target == "so-xd-daklak:sua-doi-pa1-de-xuat-sua-doi"
    # The new drafting case: same type, default regime, started by a drafter of the agency,
    # linked to the document it amends (status and memo).
    new = await status(h, link.target)
    assert (new.type, new.regime, new.stage) == ("qd_ubnd_tinh", "L2025_A87", "drafting")
    assert new.title.startswith("Sửa đổi, bổ sung Quy định thí điểm")
    [amends] = new.links
    assert (amends.kind, amends.target, amends.via) == (
        LinkKind.AMENDS,
        case_id,
        receipt.feedback_id,
    )
    memo = await (await h.get_workflow_handle(link.target).describe()).memo()
    assert memo["links"] == [{"kind": "amends", "target": case_id, "via": receipt.feedback_id}]
    # The other side: the feedback case and the document's monitoring (query and memo).
    fb = await feedback_status(h, receipt.feedback_id)
    assert fb.amendment == link
    assert fb.category is Category.RECOMMENDATION
    mon = await until(
        "the link in the monitoring", lambda: _mon_when(harness, case_id, lambda m: bool(m.links))
    )
    assert [(x.kind, x.target) for x in mon.links] == [(LinkKind.AMENDED_BY, link.target)]
    assert mon.totals.amendments_proposed == 1
    mmemo = await (await h.get_workflow_handle(mon.id).describe()).memo()
    assert mmemo["links"] == [
        {"kind": "amended_by", "target": link.target, "via": receipt.feedback_id}
    ]
    # Once is enough.
    with pytest.raises(CaseActionRefused) as again:
        await propose_amendment(
            h,
            receipt.feedback_id,
            AmendmentProposal(declare_no_interest=True, actor=HEAD, reason=reason),
        )
    assert again.value.code == "already_proposed"


async def test_check_outcomes_clean_form_errors_and_unlawful_annulled(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    case_id = await document(harness, registry, directory, "kiem-tra")
    await monitored(harness.client, case_id)
    h = harness.client
    task_queue = harness.settings.task_queue
    # Only a checker competent for a provincial document opens a check.
    with pytest.raises(CaseActionRefused) as wrong:
        await open_check(h, directory, case_id, checker=OFFICER, task_queue=task_queue)
    assert wrong.value.code == "wrong_role"
    assert CHECKER in str(wrong.value)

    # 1. Clean: the check ends.
    first = await open_check(h, directory, case_id, checker=CHECKER, task_queue=task_queue)
    assert first == f"{case_id}/check/1"
    st = await conclude_check(
        h, first, Conclusion(declare_no_interest=True, actor=CHECKER, outcome=Outcome.CLEAN)
    )
    assert (st.stage, st.final) == (CLEAN, True)

    # 2. Errors of form: the issuer corrects them.
    second = await open_check(h, directory, case_id, checker=CHECKER, task_queue=task_queue)
    assert second == f"{case_id}/check/2"
    with pytest.raises(CaseActionRefused) as early:
        await handle_check(
            h,
            second,
            HandlingRequest(declare_no_interest=True, actor=ISSUER, action=Handling.CORRECT),
        )
    assert early.value.code == "not_concluded"
    st = await conclude_check(
        h,
        second,
        Conclusion(
            declare_no_interest=True,
            actor=CHECKER,
            outcome=Outcome.FORM_ERRORS,
            findings="Sai số ký hiệu văn bản",
            basis="Nghị định 30/2020/NĐ-CP",
            handling=(Handling.CORRECT,),
        ),
    )
    assert (st.stage, st.allowed_handlings) == (HANDLING, [Handling.CORRECT])
    [due] = st.deadlines
    assert (due.days, due.confirmed) == (30, False)
    with pytest.raises(CaseActionRefused) as not_issuer:
        await handle_check(
            h,
            second,
            HandlingRequest(declare_no_interest=True, actor=CHECKER, action=Handling.CORRECT),
        )
    assert not_issuer.value.code == "wrong_role"
    with pytest.raises(CaseActionRefused) as not_required:
        await handle_check(
            h,
            second,
            HandlingRequest(declare_no_interest=True, actor=ISSUER, action=Handling.ANNUL),
        )
    assert not_required.value.code == "invalid_handling"
    st = await handle_check(
        h,
        second,
        HandlingRequest(
            declare_no_interest=True, actor=ISSUER, action=Handling.CORRECT, note="Đính chính"
        ),
    )
    assert (st.stage, st.handling.action if st.handling else None) == (HANDLED, Handling.CORRECT)
    assert st.handling is not None
    assert st.handling.late is False

    # 3. Unlawful content, annulled by the issuer: monitoring ends, feedback is refused.
    # A feedback case still open then is answered all the same.
    pending = await submit_feedback(h, harness.store, case_id, author="D", text="Đang chờ")
    third = await open_check(h, directory, case_id, checker=CHECKER, task_queue=task_queue)
    with pytest.raises(CaseActionRefused) as by_higher:
        await conclude_check(
            h, third, Conclusion(declare_no_interest=True, actor=HIGHER, outcome=Outcome.CLEAN)
        )
    assert by_higher.value.code == "wrong_role"
    st = await conclude_check(
        h,
        third,
        Conclusion(
            declare_no_interest=True,
            actor=CHECKER,
            outcome=Outcome.UNLAWFUL,
            findings="Khoản 2 Điều 4 quy định thủ tục hành chính trái thẩm quyền",
            basis="Luật 64/2025/QH15 Điều 14",
            handling=(Handling.ANNUL, Handling.AMEND),
        ),
    )
    told = await until(
        "check_concluded notice", lambda: _now(messages(harness.outbox, third, "check_concluded"))
    )
    assert ISSUER in {r.actor_id for r in told[0].recipients}
    assert "Luật 64/2025/QH15 Điều 14" in told[0].body
    st = await handle_check(
        h,
        third,
        HandlingRequest(
            declare_no_interest=True, actor=ISSUER, action=Handling.ANNUL, note="Bãi bỏ toàn bộ"
        ),
    )
    assert st.stage == HANDLED
    mon = await until(
        "monitoring ended",
        lambda: _mon_when(harness, case_id, lambda m: m.status == ANNULLED),
    )
    assert (mon.totals.checks_opened, mon.totals.checks_clean) == (3, 1)
    assert (mon.totals.checks_form_errors, mon.totals.checks_unlawful) == (1, 1)
    assert mon.totals.checks_handled == 2
    final = await until(
        "the final report", lambda: _mon_when(harness, case_id, lambda m: bool(m.reports))
    )
    assert final.reports[-1].kind == "final"
    await h.get_workflow_handle(mon.id).result()
    with pytest.raises(CaseActionRefused) as gone:
        await submit_feedback(h, harness.store, case_id, author="C", text="Còn hiệu lực không?")
    assert gone.value.code == "not_in_force"
    assert "annulled" in str(gone.value)
    with pytest.raises(CaseActionRefused):
        await record_event(
            h, case_id, EventRequest(actor=OFFICER, kind=EventKind.INSPECTION, note="Kiểm tra")
        )
    assert (await check_status(h, first)).final
    await answer_feedback(
        h,
        harness.store,
        pending.feedback_id,
        actor=HANDLER,
        text="Đã bãi bỏ.",
        declare_no_interest=True,
    )
    answered = await h.get_workflow_handle(pending.feedback_id).result()
    assert answered["stage"] == ANSWERED
    assert "effect_failed" not in [step["action"] for step in answered["trail"]]


async def _status_or_none(harness: Harness, feedback_id: str) -> FeedbackStatus | None:
    try:
        return await feedback_status(harness.client, feedback_id)
    except Exception:
        return None


async def _closed(harness: Harness, workflow_id: str) -> bool:
    desc = await harness.client.get_workflow_handle(workflow_id).describe()
    return desc.status == WorkflowExecutionStatus.COMPLETED


async def _mon_when(
    harness: Harness, case_id: str, predicate: Callable[[MonitoringStatus], bool]
) -> MonitoringStatus | None:
    mon = await monitoring_status(harness.client, case_id)
    return mon if predicate(mon) else None
