"""After issuance with real legal lengths (one legal day = 86 400 s) on the time-skipping
test server: a feedback case breaching its 2-working-day and 15-day deadlines, a check
escalating when the issuer lets its handling deadline pass, and the yearly report with the
right counts. (Ten years with 2,000 feedback cases: test_after_issuance_scale.py.) See
after_issuance_skipping.py for how the tests live with the test server.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from docx import Document

from client.after_issuance import (
    answer_feedback,
    check_status,
    classify_feedback,
    conclude_check,
    feedback_status,
    forward_feedback,
    handle_check,
    monitoring_id,
    open_check,
    record_event,
    submit_feedback,
)
from client.calendar import apply_calendar
from client.errors import CaseActionRefused
from models.actors import Directory
from models.calendar import DayUnit, LegalCalendar
from models.calendar_change import CalendarChange
from models.case import CalendarSettings
from models.choices import Category, EventKind, Handling, Outcome
from models.feedback import ClassifyRequest, ForwardRequest
from models.legality_check import Conclusion, HandlingRequest
from models.monitoring import EventRequest
from models.registry import Registry
from tests.workflows.after_issuance import (
    CHECKER,
    HANDLER,
    HEAD,
    HIGHER,
    ISSUER,
    OFFICER,
    OPERATOR,
    OTHER_HANDLER,
    messages,
)
from tests.workflows.after_issuance_skipping import (
    Skipping,
    document,
    eventually,
    feedback_exists,
    ids,
    now,
    search_attributes,
    skip_to,
    skipping_server,
    when_monitoring,
    when_true,
)
from tests.workflows.calendar_changes import fired_timers, with_day_off

# Stages of the procedures after issuance (models/post_issuance.yaml), as cases report them.
IN_HANDLING, FORWARDED, ANSWERED = "feedback_in_handling", "feedback_forwarded", "feedback_answered"
CLEAN, HANDLING, ESCALATED, HANDLED = (
    "check_clean",
    "check_handling",
    "check_escalated",
    "check_handled",
)
SUSPENDED, ANNULLED = "suspended", "annulled"


@pytest.fixture(scope="module")
async def ts(
    tmp_path_factory: pytest.TempPathFactory, registry: Registry, directory: Directory
) -> AsyncIterator[Skipping]:

    async with skipping_server(
        tmp_path_factory.mktemp("after-issuance"), registry, directory
    ) as server:
        yield server


# ---- tests ---------------------------------------------------------------------------------


async def test_feedback_breaches_two_working_days_then_fifteen_days(ts: Skipping) -> None:
    mon = await document(ts, "phan-anh-qua-han")
    case_id = mon.document.case_id
    receipt = await submit_feedback(ts.client, ts.store, case_id, author="Công dân", text="Chậm")
    fid = receipt.feedback_id
    fb = await feedback_status(ts.client, fid)
    received = fb.received_legal_date
    # Two working days, skipping weekends and holidays, counted on the legal calendar.
    forward, answer = fb.deadlines
    # (The case's own calendar: the official one it was started with.)
    calendar = mon.time.legal_calendar()
    assert calendar.official is not None
    expected = calendar.add(received, 2, DayUnit.WORKING)
    assert forward.due_legal_date == expected.due == receipt.due[0].due
    assert forward.explanation == expected.explain()
    # 15 days, run on to the next working day if the fifteenth is a day off (BLDS Điều 148 k5).
    fifteen = calendar.roll_over(calendar.add(received, 15, DayUnit.CALENDAR))
    assert answer.due_legal_date == fifteen.due == receipt.due[1].due
    assert (answer.due_legal_date - received).days >= 15
    assert forward.confirmed
    assert answer.confirmed

    # Nobody classified it within the 2 working days: flagged, the head told.
    await skip_to(ts, forward.due + timedelta(hours=1))
    fb = await eventually(
        "forward breach", lambda: when_true(feedback_status(ts.client, fid), "overdue")
    )
    [late] = await eventually("overdue notice", lambda: now(messages(ts.outbox, fid, "overdue")))
    assert HEAD in ids(late.recipients)
    assert "2 ngày làm việc" in late.body
    assert (await search_attributes(ts, fid))["Overdue"] is True
    # Classified late as within competence: the 15 days still run from receipt.
    st = await classify_feedback(
        ts.client,
        fid,
        ClassifyRequest(declare_no_interest=True, actor=HANDLER, category=Category.RECOMMENDATION),
    )
    assert (st.stage, st.overdue) == (IN_HANDLING, False)
    # Three days before: a reminder to the handler; then the breach, escalated.
    await skip_to(ts, answer.due - timedelta(days=3, hours=-1))
    [reminder] = await eventually(
        "answer reminder",
        lambda: now([m for m in messages(ts.outbox, fid, "reminder") if "15 ngày" in m.body]),
    )
    assert ids(reminder.recipients) == {HANDLER}
    assert not (await feedback_status(ts.client, fid)).overdue
    await skip_to(ts, answer.due + timedelta(hours=1))
    fb = await eventually(
        "answer breach", lambda: when_true(feedback_status(ts.client, fid), "overdue")
    )
    assert fb.stage == IN_HANDLING  # still open: the answer is still owed
    breaches = await eventually(
        "second overdue notice", lambda: now(messages(ts.outbox, fid, "overdue")[1:])
    )
    assert HEAD in ids(breaches[0].recipients)
    attrs = await search_attributes(ts, fid)
    assert (attrs["LegalStage"], attrs["Overdue"]) == ("feedback_in_handling", True)
    # Answered late: closed, marked late, counted once by the monitoring.
    st = await answer_feedback(
        ts.client, ts.store, fid, actor=HANDLER, text="Xin lỗi vì chậm.", declare_no_interest=True
    )
    assert (st.stage, st.late, st.overdue) == (ANSWERED, True, False)
    mon = await when_monitoring(ts, case_id, "counted", lambda m: m.totals.feedback_answered == 1)
    t = mon.totals
    assert (t.feedback_breaches, t.feedback_answered_late, t.feedback_received) == (1, 1, 1)
    assert mon.open_feedback == []


async def test_check_escalates_when_the_issuer_does_not_handle_it(ts: Skipping) -> None:
    mon = await document(ts, "kiem-tra-qua-han")
    case_id = mon.document.case_id
    cid = await open_check(
        ts.client, ts.directory, case_id, checker=CHECKER, task_queue=ts.settings.task_queue
    )
    st = await conclude_check(
        ts.client,
        cid,
        Conclusion(
            declare_no_interest=True,
            actor=CHECKER,
            outcome=Outcome.UNLAWFUL,
            findings="Điều 3 đặt thêm điều kiện kinh doanh",
            basis="Luật Đầu tư 2020 Điều 7",
            handling=(Handling.AMEND, Handling.ANNUL, Handling.SUSPEND),
        ),
    )
    [due] = st.deadlines
    assert (due.days, due.unit, due.confirmed) == (30, "calendar", False)
    # The higher authority may not act before the deadline passes.
    with pytest.raises(CaseActionRefused) as early:
        await handle_check(
            ts.client,
            cid,
            HandlingRequest(declare_no_interest=True, actor=HIGHER, action=Handling.SUSPEND),
        )
    assert early.value.code == "wrong_role"
    await skip_to(ts, due.due - timedelta(days=5, hours=-1))
    [reminder] = await eventually("reminder", lambda: now(messages(ts.outbox, cid, "reminder")))
    assert ids(reminder.recipients) == {ISSUER}
    assert (await check_status(ts.client, cid)).stage != ESCALATED
    await skip_to(ts, due.due + timedelta(hours=1))
    st = await eventually("escalation", lambda: when_true(check_status(ts.client, cid), "overdue"))
    assert st.stage == ESCALATED
    [escalated] = await eventually(
        "escalation notice", lambda: now(messages(ts.outbox, cid, "check_escalated"))
    )
    assert {HIGHER, CHECKER, ISSUER} <= ids(escalated.recipients)
    attrs = await search_attributes(ts, cid)
    assert (attrs["LegalStage"], attrs["Overdue"]) == ("check_escalated", True)
    # The higher authority suspends it: the document stops receiving feedback.
    with pytest.raises(CaseActionRefused) as not_theirs:
        await handle_check(
            ts.client,
            cid,
            HandlingRequest(declare_no_interest=True, actor=HIGHER, action=Handling.AMEND),
        )
    assert not_theirs.value.code == "invalid_handling"
    st = await handle_check(
        ts.client,
        cid,
        HandlingRequest(
            declare_no_interest=True, actor=HIGHER, action=Handling.SUSPEND, note="Đình chỉ"
        ),
    )
    assert st.stage == HANDLED
    assert st.handling is not None
    assert (st.handling.by_higher_authority, st.handling.late) == (True, True)
    mon = await when_monitoring(ts, case_id, "suspended", lambda m: m.status == SUSPENDED)
    assert (mon.totals.checks_unlawful, mon.totals.checks_escalated) == (1, 1)
    assert mon.totals.checks_handled == 1
    with pytest.raises(CaseActionRefused) as refused:
        await submit_feedback(ts.client, ts.store, case_id, author="X", text="Còn áp dụng?")
    assert refused.value.code == "not_in_force"
    assert "suspended" in str(refused.value)


async def test_yearly_report_on_the_legal_cycle_with_the_right_counts(ts: Skipping) -> None:
    mon = await document(ts, "bao-cao-nam")
    case_id = mon.document.case_id
    h, store = ts.client, ts.store
    cutoff = mon.period.cutoff
    assert (cutoff.month, cutoff.day) == (12, 14)
    # Feedback: two answered, one forwarded (and answered by the competent agency), one
    # left open past its deadlines.
    receipts = [
        await submit_feedback(h, store, case_id, author=f"Người {i}", text=f"Phản ánh {i}")
        for i in range(4)
    ]
    for r in receipts[:2]:
        await answer_feedback(
            h, store, r.feedback_id, actor=HANDLER, text="Đã tiếp thu.", declare_no_interest=True
        )
    await forward_feedback(
        h,
        receipts[2].feedback_id,
        ForwardRequest(declare_no_interest=True, actor=HANDLER, agency="so-nn-daklak"),
    )
    forwarded = f"{receipts[2].feedback_id}/so-nn-daklak"
    await eventually("forwarded case", lambda: feedback_exists(ts, forwarded))
    await answer_feedback(
        h, store, forwarded, actor=OTHER_HANDLER, text="Sở NN&MT trả lời.", declare_no_interest=True
    )
    # The monitoring officer records an inspection and the implementation plan.
    await record_event(
        h,
        case_id,
        EventRequest(actor=OFFICER, kind=EventKind.INSPECTION, note="Kiểm tra tại xã Ea Kao"),
    )
    await record_event(
        h,
        case_id,
        EventRequest(
            actor=OFFICER, kind=EventKind.PLAN_DONE, item="implementation_plan", note="KH 12/KH-STP"
        ),
    )
    with pytest.raises(CaseActionRefused) as again:
        await record_event(
            h,
            case_id,
            EventRequest(
                actor=OFFICER, kind=EventKind.PLAN_DONE, item="implementation_plan", note="Lần hai"
            ),
        )
    assert again.value.code == "already_done"
    with pytest.raises(CaseActionRefused) as outsider:
        await record_event(
            h,
            case_id,
            EventRequest(actor=HANDLER, kind=EventKind.INSPECTION, note="Không phải tôi"),
        )
    assert outsider.value.code == "wrong_role"
    cid = await open_check(
        h, ts.directory, case_id, checker=CHECKER, task_queue=ts.settings.task_queue
    )
    await conclude_check(
        h, cid, Conclusion(declare_no_interest=True, actor=CHECKER, outcome=Outcome.CLEAN)
    )
    await when_monitoring(
        ts, case_id, "all reported", lambda m: m.totals.feedback_answered == 3 and bool(m.checks)
    )
    # The cut-off passes: the yearly report is generated by itself.
    await skip_to(ts, mon.time.real_start_of(cutoff + timedelta(days=1)) + timedelta(hours=1))
    mon = await when_monitoring(ts, case_id, "the yearly report", lambda m: bool(m.reports))
    [report] = mon.reports
    assert (report.kind, report.period, report.cutoff) == ("yearly", 1, cutoff)
    md = store.get_blob(next(d for d in report.documents if d.name.endswith(".md")).sha256)
    text = md.decode()
    assert f"NĂM {cutoff.year}" in text
    assert (
        "Feedback: received 4, answered 3 (late 0), forwarded 1, opened by forwarding 1, "
        "deadline breaches 1, still open 1"
    ) in text
    assert "Checks: opened 1, clean 1" in text
    assert "Kiểm tra tại xã Ea Kao" in text
    assert "KH 12/KH-STP" in text
    assert receipts[3].feedback_id in text
    docx = store.get_blob(next(d for d in report.documents if d.name.endswith(".docx")).sha256)
    figures = Document(io.BytesIO(docx)).tables[0]
    rows = {r.cells[0].text: (r.cells[1].text, r.cells[2].text) for r in figures.rows[1:]}
    assert rows["feedback_received"] == ("4", "4")
    assert rows["feedback_answered"] == ("3", "3")
    assert rows["events.inspection"] == ("1", "1")
    # A new period has begun, with the open case still open and nothing yet counted.
    assert mon.period.index == 2
    assert mon.period.counts.feedback_received == 0
    assert [f.id for f in mon.open_feedback] == [receipts[3].feedback_id]
    [told] = await eventually(
        "report notice",
        lambda: now(messages(ts.outbox, monitoring_id(case_id), "monitoring_report")),
    )
    assert ids(told.recipients) == {OFFICER}


async def test_a_running_feedback_case_follows_a_calendar_change(ts: Skipping) -> None:
    """An announcement after the case started makes the last day of its 2-working-day
    forwarding limit a day off: `calendar apply --dry-run` shows the move and changes
    nothing; the apply moves the due date to the next working day, the trail says from when
    to when and why, and the reminder and the breach fire on the new date, not the old."""
    mon = await document(ts, "lich-thay-doi")
    case_id = mon.document.case_id
    receipt = await submit_feedback(ts.client, ts.store, case_id, author="Công dân", text="Lịch")
    fid = receipt.feedback_id
    forward = (await feedback_status(ts.client, fid)).deadlines[0]
    old_day = forward.due_legal_date
    # The government declares the forwarding limit's last day a day off.
    official = CalendarSettings.current().official
    assert official is not None
    changed = with_day_off(official, old_day, "Thông báo 1/TB-TEST")
    new_day = LegalCalendar(official=changed).add(old_day, 1, DayUnit.WORKING).due
    change = CalendarChange(
        official=changed, announcement="Thông báo 1/TB-TEST ngày nghỉ đột xuất", operator=OPERATOR
    )

    [preview] = await apply_calendar(ts.client, change, dry_run=True, case_ids=[fid])
    [moved] = preview.moved
    assert (moved.name, moved.old_due, moved.new_due, moved.passed) == (
        "forward",
        old_day,
        new_day,
        False,
    )
    assert (await feedback_status(ts.client, fid)).deadlines[0].due_legal_date == old_day

    [applied] = await apply_calendar(ts.client, change, dry_run=False, case_ids=[fid])
    assert applied.moved == preview.moved
    st = await feedback_status(ts.client, fid)
    forward = st.deadlines[0]
    assert forward.due_legal_date == new_day
    assert "Nghỉ đột xuất (thử nghiệm)" in forward.explanation
    [entry] = [t for t in st.trail if t.action == "calendar_applied"]
    assert entry.actor == OPERATOR
    assert entry.note is not None
    assert "Thông báo 1/TB-TEST" in entry.note
    assert f"{old_day:%d/%m/%Y} → {new_day:%d/%m/%Y}" in entry.note
    # The reminder, then the breach, on the new dates.
    await skip_to(ts, forward.due + timedelta(hours=1))
    st = await eventually(
        "forward breach", lambda: when_true(feedback_status(ts.client, fid), "overdue")
    )
    [breach] = [t for t in st.trail if t.action == "deadline_breached"]
    assert breach.at >= moved.new_at > moved.old_at
    fired = await fired_timers(ts.client, fid)
    [breached_at] = fired["forward_overdue"]
    [reminded_at] = fired["forward_reminder"]
    # (A timer's duration is kept to the millisecond.)
    assert abs(breached_at - moved.new_at) < timedelta(seconds=1)
    assert abs(reminded_at - (moved.new_at - timedelta(days=1))) < timedelta(seconds=1)
    assert messages(ts.outbox, fid, "reminder")


async def test_the_monitoring_plan_follows_a_calendar_change(ts: Skipping) -> None:
    """The implementation plan's deadline (10 days from entry into force, a maximum) ends on
    a day the government then declares off: the plan item moves to the next working day,
    the change is recorded with its announcement, and the overdue timer fires on the new
    date, not the old."""
    mon = await document(ts, "ke-hoach-lich-moi")
    [plan] = [p for p in mon.plan if p.item == "implementation_plan"]
    old_day = plan.due_legal_date
    official = mon.time.calendar.official
    assert official is not None
    changed = with_day_off(official, old_day, "Thông báo 3/TB-TEST")
    new_day = LegalCalendar(official=changed).add(old_day, 1, DayUnit.WORKING).due
    change = CalendarChange(
        official=changed, announcement="Thông báo 3/TB-TEST ngày nghỉ đột xuất", operator=OPERATOR
    )
    [applied] = await apply_calendar(ts.client, change, dry_run=False, case_ids=[mon.id])
    [moved] = applied.moved
    assert (moved.name, moved.old_due, moved.new_due) == ("implementation_plan", old_day, new_day)
    mon = await when_monitoring(
        ts, mon.document.case_id, "plan moved", lambda m: bool(m.calendar_changes)
    )
    [plan] = [p for p in mon.plan if p.item == "implementation_plan"]
    assert plan.due_legal_date == new_day
    [change_entry] = mon.calendar_changes
    assert change_entry.note is not None
    assert f"{old_day:%d/%m/%Y} → {new_day:%d/%m/%Y}" in change_entry.note
    await skip_to(ts, plan.due + timedelta(hours=1))
    await when_monitoring(
        ts,
        mon.document.case_id,
        "plan overdue",
        lambda m: any(p.overdue for p in m.plan if p.item == "implementation_plan"),
    )
    fired = await fired_timers(ts.client, mon.id)
    [overdue_at] = fired["overdue:implementation_plan"]
    assert abs(overdue_at - moved.new_at) < timedelta(seconds=1)
