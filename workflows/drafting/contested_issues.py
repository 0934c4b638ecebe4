"""Contested issues sent up for direction (xin ý kiến chỉ đạo), the case's side: the
``raise_issue`` and ``give_direction`` Updates and the overdue report of an issue's deadline.

The case keeps the issues in its own state (the guard ``contested_issues_settled`` and the
status read them there); the deadline — the authority's request, reminder and escalation —
is a ``ConsultationRequest`` child, as for a consulted body, which the direction finishes.
The procedure's ``DirectionRule`` says who raises, who directs and by when: no role or stage
of a particular procedure is named here.

Workflow code (deterministic): mixed into ``LegislativeProcess``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models import notifications
    from models.contested_issues import (
        ISSUE_PREFIX,
        ContestedIssue,
        DirectionRequest,
        IssueRefused,
        RaiseIssueRequest,
        check_direction,
        check_raise,
        current,
    )
    from models.definition import SYSTEM_ACTOR, DirectionRule
    from models.deliveries import Recipient
    from models.interests import DeclaresInterest
    from models.legal_time import StageDeadline
    from models.post_issuance import CaseTime
    from workflows.drafting.case_state import CaseState
    from workflows.drafting.consultation_request import ConsultInput, ReplyCounting
    from workflows.drafting.consultations import ForwardReply, StartRequest
    from workflows.legal_days import legal_deadline
    from workflows.proofs import check_proof, record_proof


class SendsIssuesUp(CaseState):
    """The Updates that raise an issue and record its direction (mixed into the case)."""

    # From the other parts of ``LegislativeProcess`` (annotations: no attributes here).
    _set_details: Callable[[], None]
    _show_awaiting: Callable[[], None]
    _refused: Callable[[str, str], ApplicationError]
    _check_decider: Callable[[str, DeclaresInterest], None]
    _declared_with: Callable[[str, DeclaresInterest], None]
    _case_time: Callable[[datetime], CaseTime]

    @workflow.update
    def raise_issue(self, req: RaiseIssueRequest) -> ContestedIssue:
        """The drafting unit sends an issue up, with its options (xin ý kiến chỉ đạo): it
        lands in the authority's inbox with its deadline, and the trail records it."""
        record_proof(self._proofs, req)
        rule = self._check_raise(req)
        # One deadline, counted once: the issue shows it, the request that reminds enforces it.
        dl = legal_deadline(
            "direction", rule.reply, workflow.now(), self._clock, self._calendar,
            self._simplified,
        )  # fmt: skip
        issue = self._new_issue(rule, req, dl)
        self._issues.append(issue)
        self._append_audit(
            req.actor, "raise_issue", "raise_issue", self._stage, self._stage, note=issue.summary()
        )
        self._effects.append(self._deadline_request(rule, issue, dl))
        self._show_awaiting()
        self._set_details()
        return issue

    @raise_issue.validator
    def _validate_raise_issue(self, req: RaiseIssueRequest) -> None:
        check_proof(self._proofs, req, "raise_issue")
        self._check_raise(req)

    @workflow.update
    def give_direction(self, req: DirectionRequest) -> ContestedIssue:
        """The competent authority's direction on an issue (ý kiến chỉ đạo): recorded on the
        issue and in the trail, the drafting unit is told, the deadline request ends."""
        record_proof(self._proofs, req)
        issue = self._check_direction(req)
        self._declared_with(req.actor, req)
        directed = issue.model_copy(
            update={
                "directed_by": req.actor,
                "directed_at": workflow.now(),
                "directed_on": self._clock.legal_date(workflow.now()),
                "chosen": req.option,
                "direction": req.direction,
            }
        )
        self._issues[issue.number - 1] = directed
        self._append_audit(
            req.actor,
            issue.authority_role,
            "give_direction",
            self._stage,
            self._stage,
            note=directed.direction_note(),
        )
        self._effects.append(ForwardReply(self._issue_request_id(issue.number)))
        to = self._raisers_to_tell(issue)
        if to:
            self._effects.append(
                notifications.directed(
                    self._header(), key=self._notice_key("direction_given"), to=to,
                    question=issue.question, direction=directed.direction_note(), by=req.actor,
                )
            )  # fmt: skip
        self._show_awaiting()
        self._set_details()
        return directed

    @give_direction.validator
    def _validate_give_direction(self, req: DirectionRequest) -> None:
        check_proof(self._proofs, req, "give_direction")
        self._check_direction(req)

    # ---- helpers ---------------------------------------------------------------------------

    def _check_raise(self, req: RaiseIssueRequest) -> DirectionRule:
        try:
            return check_raise(
                self._def, self._assignments, req,
                enabled=self._issues_enabled, final=self._machine.is_final(self._stage),
            )  # fmt: skip
        except IssueRefused as refusal:
            raise self._refused(refusal.code, refusal.message) from None

    def _check_direction(self, req: DirectionRequest) -> ContestedIssue:
        try:
            issue = check_direction(self._issues, self._assignments, req)
        except IssueRefused as refusal:
            raise self._refused(refusal.code, refusal.message) from None
        self._check_decider(req.actor, req)
        return issue

    def _issue_request_id(self, number: int) -> str:
        return f"{self._inp.case_id}/direction/{number}"

    def _new_issue(
        self, rule: DirectionRule, req: RaiseIssueRequest, dl: StageDeadline
    ) -> ContestedIssue:
        now = dl.anchored_at
        unconfirmed = "" if rule.reply.confirmed else " [chưa xác nhận / unconfirmed]"
        return ContestedIssue(
            number=len(self._issues) + 1,
            question=req.question.strip(),
            options=[o.strip() for o in req.options],
            proposal=(req.proposal or "").strip() or None,
            raised_by=req.actor,
            raised_at=now,
            raised_on=self._clock.legal_date(now),
            stage=self._stage,
            authority_role=rule.decided_by,
            authority_label=self._def.roles[rule.decided_by].label,
            holders=[a.id for a in self._assignments.get(rule.decided_by, [])],
            due=dl.due,
            due_legal_date=dl.counted.due,
            due_explanation=dl.explanation_vi(),
            basis=f"{rule.basis}; thời hạn / time limit: {rule.reply.basis}{unconfirmed}",
        )

    def _deadline_request(
        self, rule: DirectionRule, issue: ContestedIssue, dl: StageDeadline
    ) -> StartRequest:
        """The child that tells the authority, reminds them and escalates on breach."""
        stage = self._def.stages[self._stage]
        holders = self._assignments.get(rule.decided_by, [])
        escalate = self._assignments.get(rule.reply.escalate_to or "", [])
        return StartRequest(
            ConsultInput(
                case_id=self._inp.case_id,
                request_id=self._issue_request_id(issue.number),
                title=self._inp.title,
                role=issue.request_role,
                body_label=issue.authority_label,
                stage_label=stage.label,
                stage_en=stage.label_en,
                mandatory=True,
                holders=notifications.recipients(holders),
                escalate_to=notifications.recipients(escalate),
                due=dl.due,
                remind_at=dl.remind_at,
                due_text=f"{dl.counted.due:%d/%m/%Y} ({dl.explanation_vi()})",
                basis=issue.basis,
                counting=ReplyCounting(
                    rule=dl.rule, sent_at=dl.anchored_at, time=self._case_time(issue.raised_at),
                    simplified=self._simplified,
                ),
                question=f"Vấn đề {issue.number}: {issue.question}",
            )
        )  # fmt: skip

    def _raisers_to_tell(self, issue: ContestedIssue) -> list[Recipient]:
        """Who hears the direction: the drafting unit (the raising roles' holders)."""
        rule = self._def.direction
        roles = rule.raised_by if rule is not None else ()
        people = [a for r in roles for a in self._assignments.get(r, [])]
        return notifications.recipients(people)

    def _issue_overdue(self, role: str) -> None:
        """An issue's deadline request says the authority let the deadline pass; the case
        checks that against its own record (an early signal is a forgery)."""
        number = int(role.removeprefix(ISSUE_PREFIX)) if role[len(ISSUE_PREFIX) :].isdigit() else 0
        if not 1 <= number <= len(self._issues):
            return
        issue = self._issues[number - 1]
        if issue.settled or issue.overdue:
            return
        if workflow.now() < issue.due:
            self._append_audit(
                SYSTEM_ACTOR, SYSTEM_ACTOR, "forged_signal_ignored", self._stage, self._stage,
                note=f"direction overdue for issue {number}: due {issue.due_legal_date:%d/%m/%Y}",
            )  # fmt: skip
            return
        self._issues[number - 1] = issue.model_copy(update={"overdue": True})
        self._append_audit(
            SYSTEM_ACTOR, SYSTEM_ACTOR, "direction_overdue", self._stage, self._stage,
            note=f"Vấn đề {number}: {issue.question}",
        )  # fmt: skip
        self._set_details()

    def _issues_now(self) -> list[ContestedIssue]:
        return current(self._issues, self._assignments)
