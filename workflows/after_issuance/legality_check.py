"""``LegalityCheck``: the check of an issued document (kiểm tra văn bản) and its handling.

Opened by a checker (``legisflow check open DOC --as CHECKER``), concluded by a checker
(``conclude`` Update): clean (the check ends), errors of form, or unlawful content — what,
the legal basis, the handling required. The issuer must then handle it (``handle`` Update:
correct, amend, annul, suspend) within the check procedure's time limit
(``models/post_issuance.yaml``); a reminder goes before it; when it passes, the procedure
escalates the check to the higher authority (notified, and from then on allowed to suspend
or annul the document itself). Amending starts a new drafting case linked to the document;
suspending or annulling tells the document's monitoring, which stops receiving feedback.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from models import post_issuance_notices
    from models.authorship import ProofLedger
    from models.choices import Handling, Outcome
    from models.definition import SYSTEM_ACTOR
    from models.legal_time import StageDeadline
    from models.legality_check import (
        CheckInput,
        CheckNotice,
        CheckStatus,
        Conclusion,
        HandlingRecord,
        HandlingRequest,
    )
    from models.links import CaseLink, memo_links
    from models.monitoring import StatusNotice
    from models.post_issuance import LinkedCaseRequest
    from models.steps import StepTransition
    from workflows.activity_calls import start_linked_case
    from workflows.after_issuance.notices import Notices, due_soon, recipients
    from workflows.after_issuance.signals import (
        CHECK_CHANGED_SIGNAL,
        DOCUMENT_STATUS_SIGNAL,
        LINK_ADDED_SIGNAL,
        tell,
    )
    from workflows.after_issuance.step_case import StepCase
    from workflows.proofs import check_proof, record_proof
    from workflows.refusals import refuse

#: The roles of the check procedure, and the actions that conclude a check.
CHECKER, ISSUER, HIGHER_AUTHORITY = "checker", "issuer", "higher_authority"
CONCLUDE, CONCLUDE_CLEAN, HANDLE = "conclude", "conclude_clean", "handle"


@workflow.defn
class LegalityCheck(StepCase):
    """Kiểm tra văn bản quy phạm pháp luật và xử lý văn bản trái pháp luật."""

    @workflow.init
    def __init__(self, inp: CheckInput) -> None:
        self._inp = inp
        self._proofs = ProofLedger(inp.trusted_keys)
        self._operators = list(inp.operators)
        self._opened_at = workflow.info().start_time
        self._open(
            inp.rules.procedure,
            inp.time,
            self._opened_at,
            Notices(inp.check_id, f"{inp.document.title} — kiểm tra / legality check"),
            inp.document,
            inp.document.drafting_agency,
        )
        self._conclusion: Conclusion | None = None
        self._handling: HandlingRecord | None = None
        self._links: list[CaseLink] = []
        #: An amendment is being started (the ``handle`` Update awaits it).
        self._busy = False
        self._step(inp.opened_by, "open", inp.note)
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
        await self._run_to_the_end()
        return self.status()

    def _remind(self, limit: str, dl: StageDeadline) -> None:
        notice = due_soon(self._notices, self._header(), self._inp.issuers, dl)
        if notice is not None:
            self._effects.append(notice)

    def _breached(self, limit: str, dl: StageDeadline) -> None:
        workflow.metric_meter().create_counter(
            "legisflow_escalated_checks", "Checks whose handling deadline passed"
        ).add(1, {"type": self._inp.document.doc_type})
        to = recipients(self._inp.higher_authority, self._inp.checkers, self._inp.issuers)
        if to:
            self._effects.append(
                post_issuance_notices.check_escalated(
                    self._header(), key=self._notices.key("check_escalated"), to=to, deadline=dl
                )
            )
        self._effects.append(self._notice())

    async def _perform(self, effect: object) -> None:
        if isinstance(effect, CheckNotice):
            await tell(self._inp.monitoring_id, CHECK_CHANGED_SIGNAL, effect)
        elif isinstance(effect, StatusNotice):
            await tell(self._inp.monitoring_id, DOCUMENT_STATUS_SIGNAL, effect)
        elif isinstance(effect, CaseLink):
            await tell(self._inp.monitoring_id, LINK_ADDED_SIGNAL, effect)

    def _show(self, *details: str) -> None:
        c = self._conclusion
        conclusion = [f"Kết luận / Conclusion: {c.outcome.label}"] if c else []
        super()._show(*conclusion, *details)

    def _holders(self) -> dict[str, list[str]]:
        inp = self._inp
        return {
            CHECKER: [a.id for a in inp.checkers],
            ISSUER: [a.id for a in inp.issuers],
            HIGHER_AUTHORITY: [a.id for a in inp.higher_authority],
        }

    def _deciders(self) -> list[str]:
        return [person for people in self._holders().values() for person in people]

    # ---- decisions -------------------------------------------------------------------------

    @workflow.update
    def conclude(self, c: Conclusion) -> CheckStatus:
        """Kết luận kiểm tra."""
        record_proof(self._proofs, c)
        t = self._check_conclude(c)
        self._declared_with(c.actor, c)
        self._conclusion = c
        summary = c.outcome.label + (f": {c.findings}" if c.findings else "")
        self._step(c.actor, "conclude", summary + (f" — {c.basis}" if c.basis else ""))
        self._take(t, workflow.now())
        self._show()
        to = recipients(self._inp.issuers, self._inp.monitoring_officers)
        limits = [dl for _, dl in self._labelled_limits()]
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
                    deadline=limits[0] if limits else None,
                )
            )
        self._effects.append(self._notice())
        return self.status()

    @conclude.validator
    def _validate_conclude(self, c: Conclusion) -> None:
        check_proof(self._proofs, c, "conclude")
        self._check_conclude(c)

    def _check_conclude(self, c: Conclusion) -> StepTransition:
        action = CONCLUDE_CLEAN if c.outcome is Outcome.CLEAN else CONCLUDE
        if not self._proc.transitions_for(action, self._stage):
            raise refuse(
                "already_concluded",
                f"kiểm tra đã có kết luận / this check is already concluded "
                f"({self._proc.label(self._stage)[1]}); nothing was changed",
            )
        t = self._taking(action, self._holders(), c.actor)
        if t is None:
            checkers = self._holders()[CHECKER]
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
        self._check_decider(c.actor, c)
        return t

    @workflow.update
    async def handle(self, req: HandlingRequest) -> CheckStatus:
        """Xử lý văn bản: the issuer's (or, once escalated, the higher authority's) action.
        Amending starts the linked drafting case first: if it cannot start, nothing changes
        and the caller is told why."""
        record_proof(self._proofs, req)
        t = self._check_handle(req)
        self._declared_with(req.actor, req)
        now = workflow.now()
        amendment = None
        if req.action is Handling.AMEND:
            self._busy = True
            try:
                amendment = await self._amend(req)
            finally:
                self._busy = False
        late = self._take(t, now)
        self._handling = HandlingRecord(
            actor=req.actor,
            action=req.action,
            at=now,
            legal_date=self._clock.legal_date(now),
            late=late,
            by_higher_authority=t.role == HIGHER_AUTHORITY,
            note=req.note,
            amendment=amendment,
        )
        self._step(req.actor, f"{t.action}_{req.action.value}", req.note)
        self._show()
        if amendment is not None:
            self._links.append(amendment)
            workflow.upsert_memo({"links": memo_links(self._links)})
            self._effects.append(amendment)
        # The monitoring hears of the handling before the document's end, so its final
        # report counts it.
        self._effects.append(self._notice())
        if req.action in self._inp.rules.status_handlings:
            # Suspending or annulling changes the document's status: an action of the
            # monitoring procedure, which the monitoring takes.
            self._effects.append(
                StatusNotice(
                    action=req.action.value,
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
                    trusted_keys=tuple(inp.trusted_keys),
                )
            )
        except ActivityError as err:
            self._step(SYSTEM_ACTOR, "amendment_failed", str(err.cause or err))
            raise refuse(
                "amendment_failed",
                f"không khởi tạo được hồ sơ sửa đổi / the amendment case could not be started: "
                f"{err.cause or err}; the conclusion still awaits handling",
            ) from None

    @handle.validator
    def _validate_handle(self, req: HandlingRequest) -> None:
        check_proof(self._proofs, req, "handle")
        self._check_handle(req)

    def _check_handle(self, req: HandlingRequest) -> StepTransition:
        """The transition the actor takes, or a refusal saying why nobody may or why not."""
        if self._busy:
            raise refuse(
                "busy",
                "đang khởi tạo hồ sơ sửa đổi / an amendment is being started for this check; "
                "try again in a moment",
            )
        if self._final():
            how = (
                f"handled ({self._handling.action.value}) by {self._handling.actor}"
                if self._handling
                else "closed without error"
            )
            raise refuse(
                "case_closed",
                f"kiểm tra đã kết thúc / this check is closed: {how}; nothing was changed",
            )
        if not self._proc.transitions_for(HANDLE, self._stage) or self._conclusion is None:
            raise refuse(
                "not_concluded",
                "kiểm tra chưa có kết luận / the check has no conclusion yet; nothing to handle",
            )
        holders = self._holders()
        t = self._taking(HANDLE, holders, req.actor)
        if t is None:
            higher = holders[HIGHER_AUTHORITY]
            more = (
                f"; the higher authority ({', '.join(higher)}) may act only once the deadline "
                "has passed"
                if req.actor in higher
                else ""
            )
            raise refuse(
                "wrong_role",
                f"'{req.actor}' không thuộc cơ quan ban hành / {req.actor!r} does not act for "
                f"the issuer; issuer: {', '.join(holders[ISSUER]) or 'none'}{more}",
            )
        if t.role == HIGHER_AUTHORITY:
            allowed = self._inp.rules.escalated_handlings
            who = "cấp trên có thể / the higher authority may"
        else:
            allowed = self._conclusion.handling
            who = "kết luận yêu cầu / the conclusion requires one of"
        if req.action not in allowed:
            raise refuse(
                "invalid_handling",
                f"{who}: {', '.join(h.value for h in allowed)} (not {req.action.value})",
            )
        self._check_decider(req.actor, req)
        return t

    # ---- queries ---------------------------------------------------------------------------

    @workflow.query
    def status(self) -> CheckStatus:
        inp = self._inp
        handling = self._conclusion is not None and not self._final()
        return CheckStatus(
            id=inp.check_id,
            document_id=inp.document.case_id,
            document_title=inp.document.title,
            stage=self._stage,
            stage_label=self._stage_label(),
            final=self._final(),
            opened_by=inp.opened_by,
            opened_at=self._opened_at,
            overdue=self._overdue,
            conclusion=self._conclusion,
            allowed_handlings=list(self._conclusion.handling)
            if handling and self._conclusion
            else [],
            handling=self._handling,
            deadlines=self._deadline_views(),
            checkers=[a.id for a in inp.checkers],
            issuers=[a.id for a in inp.issuers],
            higher_authority=[a.id for a in inp.higher_authority],
            links=list(self._links),
            trail=list(self._trail),
            declarations=list(self._declarations),
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
