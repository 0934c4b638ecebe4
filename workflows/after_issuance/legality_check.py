"""``LegalityCheck``: the check of an issued document (kiểm tra văn bản) and its handling.

Opened by a checker (``legisflow check open DOC --as CHECKER``), concluded by a checker
(``conclude`` Update): clean (the check ends), errors of form, or unlawful content — what,
the legal basis, the handling required. The issuer must then handle it (``handle`` Update:
correct, amend, annul, suspend) by the deadline of ``post_issuance.yaml``; a reminder goes
before it; on breach the check is flagged ``Overdue``, escalates to the higher authority
(notified, and from then on allowed to suspend or annul the document itself). Amending
starts a new drafting case linked to the document; suspending or annulling tells the
document's monitoring, which stops receiving feedback.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from models import notifications, post_issuance_notices
    from models.case import deadline_view
    from models.choices import Handling, Outcome
    from models.definition import SYSTEM_ACTOR
    from models.deliveries import Notification
    from models.legal_time import StageDeadline
    from models.legality_check import (
        CLEAN,
        ESCALATED,
        FINAL,
        HANDLED,
        HANDLING,
        OPEN,
        STAGE_LABELS,
        CheckInput,
        CheckNotice,
        CheckStatus,
        CheckStep,
        Conclusion,
        HandlingRecord,
        HandlingRequest,
    )
    from models.links import CaseLink, memo_links
    from models.monitoring import ANNULLED, SUSPENDED, StatusNotice
    from models.post_issuance import LinkedCaseRequest
    from workflows import search_attributes as sa
    from workflows.activity_calls import send_notification, start_linked_case
    from workflows.after_issuance.support import (
        CHECK_CHANGED_SIGNAL,
        DOCUMENT_STATUS_SIGNAL,
        LINK_ADDED_SIGNAL,
        Notices,
        deadline_timers,
        due_soon,
        legal_deadline,
        recipients,
        refuse,
        show,
        tell,
        wait_for_timer,
    )

Effect = Notification | CheckNotice | StatusNotice | CaseLink


@workflow.defn
class LegalityCheck:
    """Kiểm tra văn bản quy phạm pháp luật và xử lý văn bản trái pháp luật."""

    @workflow.init
    def __init__(self, inp: CheckInput) -> None:
        self._inp = inp
        self._clock = inp.time.clock()
        self._calendar = inp.time.legal_calendar()
        self._stage = OPEN
        self._opened_at = workflow.info().start_time
        self._conclusion: Conclusion | None = None
        self._handling: HandlingRecord | None = None
        self._deadline: StageDeadline | None = None
        self._overdue = False
        self._done: set[str] = set()
        self._seq = 0
        self._trail: list[CheckStep] = []
        self._effects: list[Effect] = []
        self._links: list[CaseLink] = []
        #: An amendment is being started (the ``handle`` Update awaits it).
        self._busy = False
        self._notices = Notices(inp.check_id, f"{inp.document.title} — kiểm tra / legality check")
        self._step(inp.opened_by, "open", inp.note)
        workflow.upsert_search_attributes(
            [
                sa.DOCUMENT_TYPE.value_set(inp.document.doc_type),
                sa.DRAFTING_AGENCY.value_set(inp.document.drafting_agency),
                sa.LEGAL_REGIME.value_set(inp.document.regime),
            ]
        )
        self._show()
        to = recipients(inp.issuers, inp.monitoring_officers)
        if to:
            self._effects.append(
                post_issuance_notices.check_opened(
                    self._header(), key=self._notices.key("check_opened"), to=to, by=inp.opened_by
                )
            )
        self._effects.append(self._notice())

    # ---- main loop -------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: CheckInput) -> CheckStatus:
        while True:
            await self._drain()
            if self._stage in FINAL:
                break
            await self._wait()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._drain()
        return self.status()

    async def _wait(self) -> None:
        seq = self._seq

        def changed() -> bool:
            return self._seq != seq or bool(self._effects)

        dl = self._deadline
        pending = []
        if self._stage == HANDLING and dl is not None:
            pending = [t for t in deadline_timers(dl) if t[0] not in self._done]
        name = await wait_for_timer(changed, pending)
        if name is not None:
            self._on_timer(name)

    def _on_timer(self, name: str) -> None:
        self._done.add(name)
        self._seq += 1
        dl = self._deadline
        assert dl is not None
        if name == "reminder":
            notice = due_soon(self._notices, self._header(), self._inp.issuers, dl)
            if notice is not None:
                self._effects.append(notice)
            return
        self._overdue = True
        self._stage = ESCALATED
        self._step(
            SYSTEM_ACTOR, "handling_deadline_breached", f"{dl.explanation()} — {dl.rule.basis}"
        )
        workflow.metric_meter().create_counter(
            "legisflow_escalated_checks", "Checks whose handling deadline passed"
        ).add(1, {"type": self._inp.document.doc_type})
        self._show()
        to = recipients(self._inp.higher_authority, self._inp.checkers, self._inp.issuers)
        if to:
            self._effects.append(
                post_issuance_notices.check_escalated(
                    self._header(), key=self._notices.key("check_escalated"), to=to, deadline=dl
                )
            )
        self._effects.append(self._notice())

    async def _drain(self) -> None:
        while self._effects:
            effect = self._effects[0]
            try:
                if isinstance(effect, Notification):
                    await send_notification(effect)
                elif isinstance(effect, CheckNotice):
                    await tell(self._inp.monitoring_id, CHECK_CHANGED_SIGNAL, effect)
                elif isinstance(effect, StatusNotice):
                    await tell(self._inp.monitoring_id, DOCUMENT_STATUS_SIGNAL, effect)
                else:
                    await tell(self._inp.monitoring_id, LINK_ADDED_SIGNAL, effect)
            except ActivityError as err:
                workflow.logger.error("check side effect failed: %s", err.cause or err)
                self._step(SYSTEM_ACTOR, "effect_failed", f"{type(effect).__name__}: {err.cause}")
            self._effects.pop(0)

    # ---- decisions -------------------------------------------------------------------------

    @workflow.update
    def conclude(self, c: Conclusion) -> CheckStatus:
        """Kết luận kiểm tra."""
        self._check_conclude(c)
        self._conclusion = c
        summary = c.outcome.label + (f": {c.findings}" if c.findings else "")
        self._step(c.actor, "conclude", summary + (f" — {c.basis}" if c.basis else ""))
        if c.outcome is Outcome.CLEAN:
            self._stage = CLEAN
        else:
            self._stage = HANDLING
            self._deadline = legal_deadline(
                "check_handling",
                self._inp.rules.handling,
                workflow.now(),
                self._clock,
                self._calendar,
            )
        self._show()
        to = recipients(self._inp.issuers, self._inp.monitoring_officers)
        if to:
            self._effects.append(
                post_issuance_notices.check_concluded(
                    self._header(),
                    key=self._notices.key("check_concluded"),
                    to=to,
                    outcome=c.outcome.label,
                    findings=c.findings,
                    basis=c.basis,
                    handlings=[h.label for h in c.handling],
                    deadline=self._deadline,
                )
            )
        self._effects.append(self._notice())
        self._seq += 1
        return self.status()

    @conclude.validator
    def _check_conclude(self, c: Conclusion) -> None:
        if self._stage != OPEN:
            raise refuse(
                "already_concluded",
                f"kiểm tra đã có kết luận / this check is already concluded "
                f"({STAGE_LABELS[self._stage][1]}); nothing was changed",
            )
        checkers = [a.id for a in self._inp.checkers]
        if c.actor not in checkers:
            raise refuse(
                "wrong_role",
                f"'{c.actor}' không phải người kiểm tra / {c.actor!r} is not a checker of "
                f"this document; checkers: {', '.join(checkers) or 'none'}",
            )
        allowed = self._inp.rules.handlings.get(c.outcome, ())
        wrong = [h.value for h in c.handling if h not in allowed]
        if wrong:
            raise refuse(
                "invalid_handling",
                f"{', '.join(wrong)} is not a handling for {c.outcome.value}; "
                f"possible: {', '.join(h.value for h in allowed)}",
            )

    @workflow.update
    async def handle(self, req: HandlingRequest) -> CheckStatus:
        """Xử lý văn bản: the issuer's (or, once escalated, the higher authority's) action.
        Amending starts the linked drafting case first: if it cannot start, nothing changes
        and the caller is told why."""
        by_higher = self._check_handle(req)
        now = workflow.now()
        amendment = None
        if req.action is Handling.AMEND:
            self._busy = True
            try:
                amendment = await self._amend(req)
            finally:
                self._busy = False
        dl = self._deadline
        self._handling = HandlingRecord(
            actor=req.actor,
            action=req.action,
            at=now,
            legal_date=self._clock.legal_date(now),
            late=dl is not None and now > dl.due,
            by_higher_authority=by_higher,
            note=req.note,
            amendment=amendment,
        )
        self._stage, self._overdue = HANDLED, False
        self._step(req.actor, f"handle_{req.action.value}", req.note)
        self._show()
        self._seq += 1
        if amendment is not None:
            self._links.append(amendment)
            workflow.upsert_memo({"links": memo_links(self._links)})
            self._effects.append(amendment)
        # The monitoring hears of the handling before the document's end, so its final
        # report counts it.
        self._effects.append(self._notice())
        if req.action in (Handling.ANNUL, Handling.SUSPEND):
            self._effects.append(
                StatusNotice(
                    status=ANNULLED if req.action is Handling.ANNUL else SUSPENDED,
                    check_id=self._inp.check_id,
                    actor=req.actor,
                    at=now,
                    note=req.note,
                )
            )
        return self.status()

    async def _amend(self, req: HandlingRequest) -> CaseLink:
        inp = self._inp
        try:
            return await start_linked_case(
                LinkedCaseRequest(
                    document=inp.document,
                    via=inp.check_id,
                    tag=f"kt{inp.check_id.rsplit('/', 1)[-1]}",
                    proposer=req.actor,
                    reason=req.note
                    or (self._conclusion.findings if self._conclusion else "")
                    or "Sửa đổi theo kết luận kiểm tra",
                    legal_day_seconds=inp.time.legal_day_seconds,
                    at=workflow.now(),
                )
            )
        except ActivityError as err:
            self._step(SYSTEM_ACTOR, "amendment_failed", str(err.cause or err))
            raise ApplicationError(
                f"không khởi tạo được hồ sơ sửa đổi / the amendment case could not be started: "
                f"{err.cause or err}; the conclusion still awaits handling",
                "amendment_failed",
                type="ActionRefused",
                non_retryable=True,
            ) from None

    @handle.validator
    def _validate_handle(self, req: HandlingRequest) -> None:
        self._check_handle(req)

    def _check_handle(self, req: HandlingRequest) -> bool:
        """Whether the higher authority acts; ActionRefused-style error if nobody may."""
        if self._busy:
            raise refuse(
                "busy",
                "đang khởi tạo hồ sơ sửa đổi / an amendment is being started for this check; "
                "try again in a moment",
            )
        if self._stage == OPEN:
            raise refuse(
                "not_concluded",
                "kiểm tra chưa có kết luận / the check has no conclusion yet; nothing to handle",
            )
        if self._stage in FINAL:
            how = (
                f"handled ({self._handling.action.value}) by {self._handling.actor}"
                if self._handling
                else "closed without error"
            )
            raise refuse(
                "case_closed",
                f"kiểm tra đã kết thúc / this check is closed: {how}; nothing was changed",
            )
        assert self._conclusion is not None
        issuers = [a.id for a in self._inp.issuers]
        higher = [a.id for a in self._inp.higher_authority]
        if req.actor in issuers:
            allowed = self._conclusion.handling
            if req.action not in allowed:
                raise refuse(
                    "invalid_handling",
                    f"kết luận yêu cầu / the conclusion requires one of: "
                    f"{', '.join(h.value for h in allowed)} (not {req.action.value})",
                )
            return False
        if req.actor in higher and self._stage == ESCALATED:
            allowed = self._inp.rules.escalated_handlings
            if req.action not in allowed:
                raise refuse(
                    "invalid_handling",
                    f"cấp trên có thể / the higher authority may: "
                    f"{', '.join(h.value for h in allowed)} (not {req.action.value})",
                )
            return True
        more = (
            f"; the higher authority ({', '.join(higher)}) may act only once the deadline "
            "has passed"
            if req.actor in higher
            else ""
        )
        raise refuse(
            "wrong_role",
            f"'{req.actor}' không thuộc cơ quan ban hành / {req.actor!r} does not act for the "
            f"issuer; issuer: {', '.join(issuers) or 'none'}{more}",
        )

    # ---- queries ---------------------------------------------------------------------------

    @workflow.query
    def status(self) -> CheckStatus:
        inp = self._inp
        label, label_en = STAGE_LABELS[self._stage]
        allowed: list[Handling] = []
        if self._stage in (HANDLING, ESCALATED) and self._conclusion is not None:
            allowed = list(self._conclusion.handling)
        dl = self._deadline
        return CheckStatus(
            id=inp.check_id,
            document_id=inp.document.case_id,
            document_title=inp.document.title,
            stage=self._stage,
            stage_label=f"{label} / {label_en}",
            final=self._stage in FINAL,
            opened_by=inp.opened_by,
            opened_at=self._opened_at,
            overdue=self._overdue,
            conclusion=self._conclusion,
            allowed_handlings=allowed,
            handling=self._handling,
            deadlines=[deadline_view("Xử lý văn bản / Handling", dl, "overdue" in self._done)]
            if dl is not None
            else [],
            checkers=[a.id for a in inp.checkers],
            issuers=[a.id for a in inp.issuers],
            higher_authority=[a.id for a in inp.higher_authority],
            links=list(self._links),
            trail=list(self._trail),
        )

    # ---- helpers ---------------------------------------------------------------------------

    def _notice(self) -> CheckNotice:
        c = self._conclusion
        return CheckNotice(
            check_id=self._inp.check_id,
            stage=self._stage,
            outcome=c.outcome if c else None,
            handling=self._handling.action if self._handling else None,
            overdue=self._overdue,
            findings=(c.findings or "")[:300] if c else None,
            at=workflow.now(),
        )

    def _show(self) -> None:
        due = (
            self._deadline.due if self._stage in (HANDLING, ESCALATED) and self._deadline else None
        )
        show(self._stage, overdue=self._overdue, due=due)
        label, label_en = STAGE_LABELS[self._stage]
        lines = [f"**{self._notices.title}**", f"Bước / Stage: **{label}** ({label_en})"]
        if self._conclusion is not None:
            lines.append(f"Kết luận / Conclusion: {self._conclusion.outcome.label}")
        if due is not None:
            lines.append(f"Hạn xử lý / Handling due: {self._clock.legal_date(due):%d/%m/%Y}")
        if self._overdue:
            lines.append("**QUÁ HẠN / OVERDUE — kiến nghị cấp trên / escalated**")
        workflow.set_current_details("\n".join(lines))

    def _step(self, actor: str, action: str, note: str | None) -> None:
        now = workflow.now()
        self._trail.append(
            CheckStep(
                at=now,
                legal_date=self._clock.legal_date(now),
                actor=actor,
                action=action,
                note=note,
            )
        )

    def _header(self) -> notifications.CaseHeader:
        label, label_en = STAGE_LABELS[self._stage]
        return self._notices.header(label, label_en)
