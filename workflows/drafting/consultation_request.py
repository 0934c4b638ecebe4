"""``ConsultationRequest``: one consulted body's reply deadline (yêu cầu góp ý bằng văn bản),
or the competent authority's deadline to direct a contested issue (xin ý kiến chỉ đạo).

A child of ``LegislativeProcess``, one per body a stage consults (and one per issue sent up
for direction: the same deadline, reminder and escalation, told in the words of a direction
request; its role is ``issue:<number>``). It tells the body's people
what is asked and by when, reminds them, and on breach escalates and tells the parent case,
whose guard then stops waiting for that body. The reply itself is sent to the case (the
``reply`` Update), which records it and signals this workflow to finish. The parent cancels
requests still open when the stage ends.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models import notifications
    from models.authorship import KeysPinned, ProofLedger
    from models.calendar_change import (
        CalendarApplied,
        CalendarChange,
        MovedDeadline,
        audit_note,
        reproject,
    )
    from models.definition import Deadline
    from models.deliveries import Recipient
    from models.legal_time import StageDeadline
    from models.post_issuance import CaseTime
    from workflows.activity_calls import send_notification
    from workflows.drafting.signals import CONSULT_OVERDUE_SIGNAL
    from workflows.legal_days import legal_deadline
    from workflows.proofs import RotatesKeys, check_operator, check_proof, record_proof
    from workflows.refusals import refuse


class ReplyCounting(BaseModel):
    """How the reply deadline was counted, so that a new official calendar can count it
    again: the rule, from when, on which clock and calendar."""

    rule: Deadline
    sent_at: datetime
    time: CaseTime
    simplified: bool = False


class ConsultInput(KeysPinned):
    """Everything the request needs, computed by the parent so both agree on the dates."""

    case_id: str
    request_id: str
    title: str
    role: str
    body_label: str
    stage_label: str
    stage_en: str
    mandatory: bool
    holders: list[Recipient]
    escalate_to: list[Recipient]
    due: datetime
    remind_at: datetime | None
    due_text: str
    basis: str
    #: None in requests started before deadlines could follow a calendar change.
    counting: ReplyCounting | None = None
    #: Set for an issue sent up for direction: the question the authority is asked.
    question: str | None = None


@workflow.defn
class ConsultationRequest(RotatesKeys):
    """Lấy ý kiến một cơ quan: nhắc hạn, báo quá hạn."""

    @workflow.init
    def __init__(self, inp: ConsultInput) -> None:
        self._inp = inp
        self._proofs = ProofLedger(inp.trusted_keys)
        self._operators = list(inp.operators)
        self._replied = False
        self._notices = 0
        self._due, self._remind_at, self._due_text = inp.due, inp.remind_at, inp.due_text
        self._counting = inp.counting
        #: Bumped when a new calendar moves the deadline: the wait starts again.
        self._moves = 0

    @workflow.run
    async def run(self, inp: ConsultInput) -> bool:
        """Returns True if the reply came in time."""
        await self._notify("consultation_request", inp.holders)
        if inp.remind_at is not None and await self._wait_until(
            lambda: self._remind_at, "reminder"
        ):
            return True
        if inp.remind_at is not None:
            await self._notify("reminder", inp.holders)
        if await self._wait_until(lambda: self._due, "reply due"):
            return True
        await self._notify("overdue", inp.escalate_to + inp.holders)
        parent = workflow.get_external_workflow_handle(inp.case_id)
        await parent.signal(CONSULT_OVERDUE_SIGNAL, inp.role)
        # A late reply is still recorded; the parent cancels this when the stage ends.
        await workflow.wait_condition(lambda: self._replied)
        return False

    @workflow.signal
    def replied(self) -> None:
        self._replied = True

    async def _wait_until(self, at: Callable[[], datetime | None], what: str) -> bool:
        """Wait for the reply until ``at()`` (again from the start when a new calendar moves
        it); True if it came."""
        while True:
            moves, target = self._moves, at()
            delay = (target or workflow.now()) - workflow.now()
            if delay <= timedelta(0):
                return self._replied
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    partial(self._replied_or_moved_since, moves),
                    timeout=delay,
                    timeout_summary=f"{what}: {self._inp.body_label}",
                )
            if self._replied or self._moves == moves:
                return self._replied

    def _replied_or_moved_since(self, moves: int) -> bool:
        return self._replied or self._moves != moves

    # ---- a new official calendar (áp dụng lịch nghỉ mới) -----------------------------------

    @workflow.query
    def calendar_preview(self, change: CalendarChange) -> CalendarApplied:
        """What ``change`` would move, without moving it."""
        return CalendarApplied(case_id=self._inp.request_id, moved=self._recount(change)[1])

    @workflow.update
    def apply_calendar(self, change: CalendarChange) -> CalendarApplied:
        """Count the reply deadline again on the new calendar; the reminder and the overdue
        notice follow the new date (the case records the change in its trail)."""
        record_proof(self._proofs, change)
        updated, moved = self._recount(change)
        dl = updated.get("reply")
        if dl is not None and self._counting is not None:
            self._due, self._remind_at = dl.due, dl.remind_at
            self._due_text = f"{dl.counted.due:%d/%m/%Y} ({dl.explanation_vi()})"
            settings = self._counting.time.calendar.model_copy(update={"official": change.official})
            time = self._counting.time.model_copy(update={"calendar": settings})
            self._counting = self._counting.model_copy(update={"time": time})
            self._moves += 1
            workflow.logger.info("reply deadline moved: %s", audit_note(change, moved))
        return CalendarApplied(case_id=self._inp.request_id, moved=moved)

    @apply_calendar.validator
    def _calendar_applies(self, change: CalendarChange) -> None:
        check_proof(self._proofs, change, "apply_calendar")
        check_operator(self._operators, change.operator)
        if self._counting is None:
            raise refuse(
                "cannot_recount",
                "yêu cầu này được gửi trước khi hạn trả lời theo được lịch mới / this request "
                "was sent before reply deadlines could follow a calendar change",
            )

    def _recount(
        self, change: CalendarChange
    ) -> tuple[dict[str, StageDeadline], list[MovedDeadline]]:
        counting = self._counting
        if counting is None or self._replied:
            return {}, []
        clock = counting.time.clock()
        settings = counting.time.calendar.model_copy(update={"official": change.official})
        calendar = settings.legal_calendar()
        old = legal_deadline(
            "reply", counting.rule, counting.sent_at, clock,
            counting.time.legal_calendar(), counting.simplified,
        )  # fmt: skip
        return reproject(
            {"reply": old},
            lambda dl: legal_deadline(
                "reply", dl.rule, dl.anchored_at, clock, calendar, counting.simplified
            ),
            workflow.now(),
        )

    async def _notify(self, kind: str, to: list[Recipient]) -> None:
        if not to:
            return
        self._notices += 1
        inp = self._inp
        header = notifications.CaseHeader(
            case_id=inp.case_id,
            title=inp.title,
            stage_label=inp.stage_label,
            stage_en=inp.stage_en,
            at=workflow.now(),
        )
        key = f"{inp.request_id}/{self._notices:03d}-{kind}"
        if inp.question is not None:
            await send_notification(
                notifications.direction_request(
                    header, kind=kind, key=key, to=to, question=inp.question,
                    authority_label=inp.body_label, due_text=self._due_text, basis=inp.basis,
                )
            )  # fmt: skip
            return
        notice = notifications.consultation(
            header,
            kind=kind,
            key=key,
            to=to,
            body_label=inp.body_label,
            due_text=self._due_text,
            basis=inp.basis,
            mandatory=inp.mandatory,
        )
        await send_notification(notice)
