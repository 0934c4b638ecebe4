"""``ConsultationRequest``: one consulted body's reply deadline (yêu cầu góp ý bằng văn bản).

A child of ``LegislativeProcess``, one per body a stage consults. It tells the body's people
what is asked and by when, reminds them, and on breach escalates and tells the parent case,
whose guard then stops waiting for that body. The reply itself is sent to the case (the
``reply`` Update), which records it and signals this workflow to finish. The parent cancels
requests still open when the stage ends.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models import notifications
    from models.deliveries import Recipient
    from workflows.activity_calls import send_notification
    from workflows.drafting.signals import CONSULT_OVERDUE_SIGNAL


class ConsultInput(BaseModel):
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


@workflow.defn
class ConsultationRequest:
    """Lấy ý kiến một cơ quan: nhắc hạn, báo quá hạn."""

    @workflow.init
    def __init__(self, inp: ConsultInput) -> None:
        self._inp = inp
        self._replied = False
        self._notices = 0

    @workflow.run
    async def run(self, inp: ConsultInput) -> bool:
        """Returns True if the reply came in time."""
        await self._notify("consultation_request", inp.holders)
        if inp.remind_at is not None and await self._wait_until(inp.remind_at, "reminder"):
            return True
        if inp.remind_at is not None:
            await self._notify("reminder", inp.holders)
        if await self._wait_until(inp.due, "reply due"):
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

    async def _wait_until(self, at: datetime, what: str) -> bool:
        """Wait for the reply until ``at``; True if it came."""
        delay = at - workflow.now()
        if delay > timedelta(0):
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self._replied,
                    timeout=delay,
                    timeout_summary=f"{what}: {self._inp.body_label}",
                )
        return self._replied

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
        notice = notifications.consultation(
            header,
            kind=kind,
            key=f"{inp.request_id}/{self._notices:03d}-{kind}",
            to=to,
            body_label=inp.body_label,
            due_text=inp.due_text,
            basis=inp.basis,
            mandatory=inp.mandatory,
        )
        await send_notification(notice)
