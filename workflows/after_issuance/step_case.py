"""A case that follows a procedure after issuance (``models.steps.StepProcedure``): a citizen's
feedback case, a legality check. What both do alike is here, interpreted from the data: the
stage the case is in and the time limits running there (their reminder and breach timers,
and the action a breach makes the workflow take), its trail, what ops see (search attributes,
current details), and carrying out its queued side effects. The workflows add what is their
own: their Updates, who they tell, and what they say.

Workflow code (deterministic).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from models import notifications
    from models.authorship import KeyRotation, ProofLedger
    from models.calendar import LegalCalendar
    from models.calendar_change import (
        CalendarApplied,
        CalendarChange,
        MovedDeadline,
        audit_note,
        reproject,
    )
    from models.case import DeadlineView, deadline_view
    from models.definition import SYSTEM_ACTOR
    from models.deliveries import Notification
    from models.interests import (
        DECLARE_INTEREST_PATCH,
        Declaration,
    )
    from models.legal_time import LegalClock, StageDeadline
    from models.post_issuance import CaseTime, DocumentInfo
    from models.steps import StepProcedure, StepTransition, TrailStep
    from models.versioning import VersionMove
    from workflows import search_attributes as sa
    from workflows.activity_calls import send_notification
    from workflows.after_issuance.notices import Notices
    from workflows.after_issuance.time_limits import deadline_timers, wait_for_timer
    from workflows.declarations import KeepsDeclarations
    from workflows.legal_days import legal_deadline
    from workflows.proofs import RotatesKeys, check_operator, check_proof, record_proof
    from workflows.refusals import refuse
    from workflows.search_attributes import upsert_stage
    from workflows.version_moves import RecordsVersionMoves


class StepCase(RotatesKeys, KeepsDeclarations, RecordsVersionMoves):
    """The state and bookkeeping of one case after issuance (set by :meth:`_open`)."""

    _proc: StepProcedure
    _time: CaseTime
    _clock: LegalClock
    _calendar: LegalCalendar
    _stage: str
    #: The time limits that have started (on the case's first entry into a stage they run in).
    _limits: dict[str, StageDeadline]
    #: Timers done: ``<limit>_reminder``, ``<limit>_overdue``.
    _done: set[str]
    _overdue: bool
    _late: bool
    _seq: int
    _trail: list[TrailStep]
    _effects: list[object]
    _notices: Notices
    #: The sign-in keys the case trusts and the proofs it has accepted.
    _proofs: ProofLedger
    #: Who may rotate its keys or apply a new calendar (pinned in its input).
    _operators: list[str]
    #: Declarations of interest (kê khai xung đột lợi ích), in the order accepted.
    _declarations: list[Declaration]
    #: Whether a person must declare before their first decision (cases since the patch).
    _declaration_required: bool

    def _keys_rotated(self, req: KeyRotation, before: str) -> None:
        self._step(req.operator, "keys_rotated", f"{before} → {', '.join(self._proofs.keys)}: "
                   f"{req.reason}")  # fmt: skip

    def _check_version_mover(self, person: str) -> None:
        check_operator(self._operators, person)

    def _version_moved(self, req: VersionMove) -> None:
        self._step(req.operator, "version_moved", req.note())

    def _open(
        self,
        proc: StepProcedure,
        time: CaseTime,
        at: datetime,
        notices: Notices,
        document: DocumentInfo,
        agency: str,
    ) -> None:
        """Set the case up in its first stage at ``at``; ops see the document's type and
        regime and the ``agency`` handling the case."""
        self._proc = proc
        self._time = time
        self._clock = time.clock()
        self._calendar = time.legal_calendar()
        self._limits = {}
        self._done = set()
        self._overdue = False
        self._late = False
        self._seq = 0
        self._trail = []
        self._effects = []
        self._notices = notices
        self._declarations = []
        self._declaration_required = workflow.patched(DECLARE_INTEREST_PATCH)
        self._enter(proc.initial, at)
        workflow.upsert_search_attributes(
            [
                sa.DOCUMENT_TYPE.value_set(document.doc_type),
                sa.DRAFTING_AGENCY.value_set(agency),
                sa.LEGAL_REGIME.value_set(document.regime),
            ]
        )

    async def _run_to_the_end(self) -> None:
        """The main loop: carry out what is queued, wait for a decision or a timer, until a
        final stage; then finish the Updates in flight and what they queued."""
        while True:
            await self._drain()
            if self._final():
                break
            await self._wait()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._drain()

    # ---- stages and time limits ------------------------------------------------------------

    def _enter(self, stage: str, at: datetime) -> None:
        """Be in ``stage`` from ``at``: the time limits running there start (once), and the
        case is overdue while one of them has passed."""
        self._stage = stage
        for name in self._proc.running(stage):
            if name not in self._limits:
                rule = self._proc.time_limits[name].limit
                self._limits[name] = legal_deadline(name, rule, at, self._clock, self._calendar)
        self._overdue = any(f"{name}_overdue" in self._done for name in self._proc.running(stage))

    def _take(self, t: StepTransition, at: datetime) -> bool:
        """Take ``t`` at ``at``; whether it came after the time limit it meets (late)."""
        met = self._limits.get(t.meets) if t.meets else None
        late = met is not None and at > met.due
        self._late = self._late or late
        self._enter(self._proc.after(t, self._stage), at)
        self._seq += 1
        return late

    def _taking(
        self, action: str, holders: Mapping[str, Sequence[str]], actor: str
    ) -> StepTransition | None:
        """The transition ``actor`` would take with ``action`` from the current stage: one
        whose role they hold (``holders``: role → people), else None."""
        for t in self._proc.transitions_for(action, self._stage):
            if actor in holders.get(t.role, ()):
                return t
        return None

    def _final(self) -> bool:
        return self._proc.is_final(self._stage)

    def _timers(self) -> list[tuple[str, datetime]]:
        timers: list[tuple[str, datetime]] = []
        for name in self._proc.running(self._stage):
            timers += deadline_timers(self._limits[name], prefix=f"{name}_")
        return [t for t in timers if t[0] not in self._done]

    async def _wait(self) -> None:
        seq = self._seq

        def changed() -> bool:
            return self._seq != seq or bool(self._effects)

        name = await wait_for_timer(changed, self._timers())
        if name is not None:
            self._on_timer(name)

    def _on_timer(self, timer: str) -> None:
        self._done.add(timer)
        self._seq += 1
        name, kind = timer.rsplit("_", 1)
        dl = self._limits[name]
        if kind == "reminder":
            self._remind(name, dl)
            return
        self._overdue = True
        self._step(SYSTEM_ACTOR, "deadline_breached", f"{dl.explanation()} — {dl.rule.basis}")
        action = self._proc.time_limits[name].on_breach
        if action is not None:
            for t in self._proc.transitions_for(action, self._stage):
                if t.role == SYSTEM_ACTOR:
                    self._enter(self._proc.after(t, self._stage), workflow.now())
                    self._overdue = True
        self._show()
        self._breached(name, dl)

    # ---- a new official calendar (áp dụng lịch nghỉ mới) ---------------------------------------

    # ---- conflicts of interest (xung đột lợi ích) -------------------------------------------

    def _legal_today(self) -> date:
        return self._clock.legal_date(workflow.now())

    def _declaration_recorded(self, d: Declaration) -> None:
        self._step(d.person, "declare_interest", d.summary())

    @workflow.query
    def calendar_preview(self, change: CalendarChange) -> CalendarApplied:
        """What ``change`` would move, without moving it (``legisflow calendar apply
        --dry-run``)."""
        *_, moved = self._recount(change)
        return CalendarApplied(case_id=workflow.info().workflow_id, moved=moved)

    @workflow.update
    def apply_calendar(self, change: CalendarChange) -> CalendarApplied:
        """Count the running time limits again on the new calendar: the timers follow the new
        dates, the trail says what moved, from when to when, and why. A limit that had passed
        stays passed (``models.calendar_change``)."""
        record_proof(self._proofs, change)
        time, calendar, updated, moved = self._recount(change)
        self._time, self._calendar = time, calendar
        self._limits.update(updated)
        self._step(change.operator, "calendar_applied", audit_note(change, moved))
        self._seq += 1  # the main loop waits again, on the new timers
        self._show()
        return CalendarApplied(case_id=workflow.info().workflow_id, moved=moved)

    @apply_calendar.validator
    def _calendar_applies(self, change: CalendarChange) -> None:
        check_proof(self._proofs, change, "apply_calendar")
        check_operator(self._operators, change.operator)
        if self._final():
            raise refuse(
                "case_closed",
                "hồ sơ đã kết thúc, không còn thời hạn nào để tính lại / the case has ended: "
                "no time limit is left to count again",
            )

    def _recount(
        self, change: CalendarChange
    ) -> tuple[CaseTime, LegalCalendar, dict[str, StageDeadline], list[MovedDeadline]]:
        settings = self._time.calendar.model_copy(update={"official": change.official})
        time = self._time.model_copy(update={"calendar": settings})
        calendar = time.legal_calendar()
        running = {n: self._limits[n] for n in self._proc.running(self._stage)}
        updated, moved = reproject(
            running,
            lambda dl: legal_deadline(dl.stage, dl.rule, dl.anchored_at, self._clock, calendar),
            workflow.now(),
        )
        return time, calendar, updated, moved

    def _remind(self, limit: str, dl: StageDeadline) -> None:
        """A time limit is due soon (the workflow says to whom)."""
        raise NotImplementedError

    def _breached(self, limit: str, dl: StageDeadline) -> None:
        """A time limit has passed (the workflow says to whom, and what else follows)."""
        raise NotImplementedError

    # ---- side effects ------------------------------------------------------------------------

    async def _drain(self) -> None:
        while self._effects:
            effect = self._effects[0]
            try:
                if isinstance(effect, Notification):
                    await send_notification(effect)
                else:
                    await self._perform(effect)
            except ActivityError as err:
                workflow.logger.error("side effect failed: %s", err.cause or err)
                self._step(SYSTEM_ACTOR, "effect_failed", f"{type(effect).__name__}: {err.cause}")
            self._effects.pop(0)

    async def _perform(self, effect: object) -> None:
        """Carry out an effect other than a notification (the workflow knows which)."""
        raise NotImplementedError

    # ---- what people and ops see -------------------------------------------------------------

    def _step(self, actor: str, action: str, note: str | None) -> None:
        now = workflow.now()
        self._trail.append(
            TrailStep(
                at=now,
                legal_date=self._clock.legal_date(now),
                actor=actor,
                action=action,
                note=note,
            )
        )

    def _stage_label(self) -> str:
        label, label_en = self._proc.label(self._stage)
        return f"{label} / {label_en}"

    def _due(self) -> datetime | None:
        """The due time ops see (StageDueAt): the first running time limit not yet passed,
        else the last one passed."""
        running = [self._limits[n] for n in self._proc.running(self._stage)]
        pending = [
            dl
            for n, dl in zip(self._proc.running(self._stage), running, strict=True)
            if f"{n}_overdue" not in self._done
        ]
        if pending:
            return min(dl.due for dl in pending)
        return max((dl.due for dl in running), default=None)

    def _show(self, *details: str) -> None:
        """LegalStage, Overdue and StageDueAt, and the current details in the UI."""
        due = self._due()
        upsert_stage(self._proc.search_stage(self._stage), overdue=self._overdue, due=due)
        label, label_en = self._proc.label(self._stage)
        lines = [f"**{self._notices.title}**", f"Bước / Stage: **{label}** ({label_en})"]
        lines += details
        if due is not None:
            lines.append(f"Hạn / Due: {self._clock.legal_date(due):%d/%m/%Y}")
        if self._overdue:
            lines.append("**QUÁ HẠN / OVERDUE**")
        workflow.set_current_details("\n".join(lines))

    def _labelled_limits(self) -> list[tuple[str, StageDeadline]]:
        """The time limits started so far, each with its label."""
        out = []
        for name, dl in self._limits.items():
            limit = self._proc.time_limits[name]
            out.append((f"{limit.label} / {limit.label_en}", dl))
        return out

    def _deadline_views(self) -> list[DeadlineView]:
        return [
            deadline_view(label, dl, f"{name}_overdue" in self._done)
            for name, (label, dl) in zip(self._limits, self._labelled_limits(), strict=True)
        ]

    def _header(self) -> notifications.CaseHeader:
        return self._notices.header(*self._proc.label(self._stage))
