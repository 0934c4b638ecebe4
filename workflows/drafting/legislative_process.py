"""``LegislativeProcess``: one document's life (vòng đời văn bản) as a durable workflow.

The workflow interprets the process definition it receives; it never names a stage of a
particular procedure. People act through the ``act`` Update, whose validator refuses an
illegal action before anything is written to history. Side effects (document versions,
notifications) are queued by handlers and carried out by the main loop through activities,
so an Update returns as soon as the decision is recorded.

Here: the workflow, its main loop and deadline timers, its Updates and signals. The case's
state and shared bookkeeping are in ``case_state``; what leaving and entering a stage ask to
be done in ``stage_entry`` (the kinds of effect in ``effects``), and how they are carried
out in ``carrying_out``; queries and visibility (search attributes, current details) in
``case_views``.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models import notifications
    from models.actors import ActorRef
    from models.authorship import KeyRotation, ProofLedger
    from models.awaiting import AWAITING_ROLES_PATCH
    from models.calendar_change import (
        CalendarApplied,
        CalendarChange,
        MovedDeadline,
        audit_note,
        reproject,
    )
    from models.case import (
        ActionRequest,
        ActionResult,
        CalendarSettings,
        CaseInput,
        CaseResult,
        ConsultView,
        MigrationRequest,
        ReplyRequest,
    )
    from models.contested_issues import DIRECTIONS_PATCH, ISSUE_PREFIX
    from models.definition import (
        SYSTEM_ACTOR,
        DeadlineKind,
        ProcessDefinition,
        Transition,
    )
    from models.delegation import (
        BASIS,
        Delegation,
        DelegationRefused,
        DelegationRequest,
        acting_for,
        plan_delegation,
    )
    from models.interests import BASIS as INTEREST_BASIS
    from models.interests import (
        DECLARE_INTEREST_PATCH,
        Declaration,
        InterestRefused,
        ReassignRequest,
        check_reassignment,
        handed_over,
        involved,
        recused,
        successors,
    )
    from models.legal_time import LegalClock, StageDeadline
    from models.migration import definition_digest, plan_migration, shipped_digests
    from models.rules import NOTE_REQUIRED_PATCH, ActionRefused, certificates_of, check_action
    from models.shared_definitions import shared_definition, shared_machine
    from models.signature_evidence import (
        SIGNATURE_CHECK_PATCH,
        SignedBy,
        SignedDocumentCheck,
        approval_statement,
        roots_of,
        signer_of,
        summary_of,
    )
    from models.versioning import VersionMove
    from workflows.declarations import KeepsDeclarations
    from workflows.drafting.carrying_out import CaseEffects
    from workflows.drafting.consultations import Consultations, ReplyRefused
    from workflows.drafting.contested_issues import SendsIssuesUp
    from workflows.drafting.effects import CheckSignature, CountComments
    from workflows.drafting.signals import COMMENTS_OPEN_SIGNAL, CONSULT_OVERDUE_SIGNAL
    from workflows.drafting.stage_entry import StageEntry
    from workflows.legal_days import legal_deadline
    from workflows.proofs import check_proof, check_rotation, record_proof
    from workflows.refusals import refuse
    from workflows.version_moves import RecordsVersionMoves


#: Since this patch a ``comments_open`` signal makes the case ask the ledger (issue #17).
COUNT_COMMENTS_PATCH = "count-comments-from-the-ledger"
#: How a consulted body's reply deadline is named in a calendar change's report.
CONSULT_PREFIX = "consult:"


@workflow.defn
class LegislativeProcess(
    CaseEffects, StageEntry, KeepsDeclarations, SendsIssuesUp, RecordsVersionMoves
):
    """Thủ tục xây dựng, ban hành văn bản quy phạm pháp luật — one case."""

    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        self._inp = inp
        self._def = inp.definition  # the worker's one copy (CaseInput)
        self._machine = shared_machine(inp.definition)
        self._assignments = inp.assignments
        self._proofs = ProofLedger(inp.trusted_keys)
        self._delegations = []
        self._declarations = []
        self._superiors = dict(inp.superiors)
        self._declaration_required = workflow.patched(DECLARE_INTEREST_PATCH)
        self._notes_required = workflow.patched(NOTE_REQUIRED_PATCH)
        self._awaiting_shown = workflow.patched(AWAITING_ROLES_PATCH)
        self._issues_enabled = workflow.patched(DIRECTIONS_PATCH)
        self._issues = []
        # Trust roots reach the validators from init: an Update can come before run().
        self._signature_roots = roots_of(inp.signature_roots)
        self._signatures = []
        self._signature_problems = []
        self._public_comments = None
        self._calendar = inp.calendar.legal_calendar()
        start = workflow.info().start_time
        self._clock = LegalClock(origin=start, legal_day_seconds=inp.legal_day_seconds)
        self._stage = self._def.initial
        self._entered = {self._stage: start}
        self._entered_by = inp.started_by
        self._stage_seq = 0
        #: Bumped when a new calendar moves the deadline: the main loop waits again.
        self._calendar_seq = 0
        self._calendar_settings = inp.calendar
        self._overdue = False
        self._timer_done = set()
        self._audit = []
        self._documents = []
        self._effects = []
        self._notice_seq = 0
        self._deadline = None
        self._failed_effects = []
        self._simplified = inp.simplified is not None
        self._consults = Consultations()
        self._publish_seq = 0
        self._consult_handles = {}
        # The case opens here, not in run(): an Update delivered with the start is handled
        # before run() begins, and must find the first stage already entered.
        self._append_audit(
            inp.started_by, self._def.starter_role, "start", None, self._stage, note=inp.title
        )
        if inp.simplified is not None and self._def.simplified is not None:
            rule = self._def.simplified
            self._append_audit(
                inp.simplified.decided_by,
                rule.decided_by,
                "simplified_procedure",
                None,
                self._stage,
                note=f"{inp.simplified.reason} — {rule.basis}",
            )
        self._enter_stage()

    # ---- main loop -------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseResult:
        while True:
            await self._drain_effects()
            if self._machine.is_final(self._stage):
                break
            await self._wait_for_change_or_timer()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._drain_effects()
        return CaseResult(
            case_id=inp.case_id, stage=self._stage, audit=self._audit, documents=self._documents
        )

    async def _wait_for_change_or_timer(self) -> None:
        seq = (self._stage_seq, self._calendar_seq)
        timer = self._next_timer()

        def changed() -> bool:
            return (self._stage_seq, self._calendar_seq) != seq or bool(self._effects)

        if timer is None:
            await workflow.wait_condition(changed)
            return
        name, at = timer
        delay = at - workflow.now()
        if delay > timedelta(0):
            try:
                await workflow.wait_condition(
                    changed,
                    timeout=delay,
                    timeout_summary=f"{name}: {self._def.stages[self._stage].label_en}",
                )
                return
            except TimeoutError:
                pass
        self._on_timer(name)

    def _next_timer(self) -> tuple[str, datetime] | None:
        dl = self._deadline
        if dl is None:
            return None
        if dl.kind is DeadlineKind.MAXIMUM:
            if dl.remind_at is not None and "reminder" not in self._timer_done:
                # A stage entered after its due time gets the overdue notice, not a
                # "due soon" reminder.
                if dl.due <= workflow.now():
                    self._timer_done.add("reminder")
                else:
                    return ("reminder", dl.remind_at)
            if "overdue" not in self._timer_done:
                return ("overdue", dl.due)
            return None
        if "period_elapsed" not in self._timer_done:
            return ("period_elapsed", dl.due)
        return None

    def _on_timer(self, name: str) -> None:
        self._timer_done.add(name)
        dl = self._deadline
        assert dl is not None
        stage = self._def.stages[self._stage]
        h = self._header()
        if name == "reminder":
            to = self._holders(dl.rule.responsible)
            if to:
                self._effects.append(
                    notifications.reminder(h, key=self._notice_key("reminder"), to=to, deadline=dl)
                )
        elif name == "overdue":
            self._overdue = True
            self._append_audit(
                SYSTEM_ACTOR,
                SYSTEM_ACTOR,
                "deadline_breached",
                self._stage,
                self._stage,
                note=f"{dl.explanation()} — {dl.rule.basis}",
            )
            self._show_overdue()
            workflow.metric_meter().create_counter(
                "legisflow_overdue_cases", "Stages that passed their deadline"
            ).add(1, {"type": self._def.doc_type, "stage": self._stage})
            to = self._holders(dl.rule.escalate_to, dl.rule.responsible)
            if to:
                self._effects.append(
                    notifications.overdue(h, key=self._notice_key("overdue"), to=to, deadline=dl)
                )
            self._set_details()
        elif name == "period_elapsed":
            auto = [
                t for t in self._def.transitions_from(self._stage, self._simplified) if t.automatic
            ]
            if auto:
                self._apply(
                    auto[0], ActionRequest(action=auto[0].action, actor=SYSTEM_ACTOR), system=True
                )
                return
            to = self._holders(dl.rule.responsible)
            if to:
                self._effects.append(
                    notifications.period_elapsed(
                        h, key=self._notice_key("period_elapsed"), to=to, deadline=dl
                    )
                )
        workflow.logger.info("deadline timer %s fired in stage %s", name, stage.label_en)

    # ---- decisions -------------------------------------------------------------------------

    @workflow.update(name="act")
    def act(self, req: ActionRequest) -> ActionResult:
        """Take an action (thực hiện thao tác); see the validator for what is refused."""
        record_proof(self._proofs, req)
        t = self._check(req)
        self._declared_with(req.actor, req)
        if self._signature_roots:
            req = self._record_signatures(t, req)
        return self._apply(t, req)

    def _record_signatures(self, t: Transition, req: ActionRequest) -> ActionRequest:
        """Keep whose certificate signed the document or the decision (``_check`` has just
        verified both), say so in the trail's note, and have each checked again after
        acceptance (the stored file whole, the certificate's revocation)."""
        now = workflow.now()
        notes = [req.note] if req.note else []
        known = sorted(certificates_of(self._rule_context(), req.actor))

        def keep(cms: str, digest: str, document: str | None, approval: bool) -> None:
            signed = SignedBy(
                action=t.action, document_sha256=document, accepted_at=now, approval=approval,
                signer=summary_of(signer_of(cms)[0]),
            )  # fmt: skip
            self._signatures.append(signed)
            notes.append(signed.note())
            if workflow.patched(SIGNATURE_CHECK_PATCH):
                self._effects.append(
                    CheckSignature(
                        SignedDocumentCheck(
                            case_id=self._inp.case_id, action=t.action,
                            document_sha256=None if approval else document,
                            signed_digest=digest, person=req.actor, accepted_at=now,
                            roots=list(self._inp.signature_roots),
                            approval_cms=cms if approval else None, known=known,
                        )
                    )
                )  # fmt: skip

        if t.requires_signature and req.signature and req.document:
            keep(req.signature.cms, req.signature.signed_digest, req.document.sha256, False)
        if t.signed_approval and req.approval:
            document = req.document.sha256 if req.document else None
            statement = approval_statement(self._inp.case_id, t.action, req.actor, document)
            keep(req.approval, hashlib.sha256(statement).hexdigest(), document, True)
        return req.model_copy(update={"note": "; ".join(notes) or None})

    @act.validator
    def _validate_act(self, req: ActionRequest) -> None:
        check_proof(self._proofs, req, "act")
        self._check(req)

    def _check(self, req: ActionRequest) -> Transition:
        try:
            return check_action(self._rule_context(), req)
        except ActionRefused as refusal:
            raise self._refused(refusal.code, refusal.message) from None

    @workflow.update
    def delegate(self, req: DelegationRequest) -> Delegation:
        """A holder names a deputy to sign for them until a legal day (ký thay, KT.); the
        trail records it, and both are told."""
        record_proof(self._proofs, req)
        d = self._plan_delegation(req)
        self._delegations.append(d)
        self._append_audit(
            req.actor,
            req.role,
            "delegate",
            self._stage,
            self._stage,
            note=f"{d.signed_as()}, đến hết ngày / until {d.until:%d/%m/%Y} — {d.reason} ({BASIS})",
        )
        self._effects.append(
            notifications.delegated(
                self._header(),
                key=self._notice_key("delegated"),
                to=notifications.recipients([d.holder, d.deputy]),
                delegation=d,
            )
        )
        self._set_details()
        return d

    @delegate.validator
    def _validate_delegate(self, req: DelegationRequest) -> None:
        check_proof(self._proofs, req, "delegate")
        self._plan_delegation(req)

    def _plan_delegation(self, req: DelegationRequest) -> Delegation:
        try:
            return plan_delegation(self._def, self._assignments, req, self._clock, workflow.now())
        except DelegationRefused as refusal:
            raise self._refused(refusal.code, refusal.message) from None

    # ---- conflicts of interest and reassignment (xung đột lợi ích, phân công lại) ----------

    def _deciders(self) -> set[str]:
        """Role holders and the deputies named in the case."""
        deciders = {a.id for people in self._assignments.values() for a in people}
        return deciders | {d.deputy.id for d in self._delegations}

    def _legal_today(self) -> date:
        return self._clock.legal_date(workflow.now())

    def _declaration_recorded(self, d: Declaration) -> None:
        """In the trail; one who declares an interest stands aside (``_stand_aside``)."""
        roles = ",".join(involved(self._assignments, d.person)) or "deputy"
        self._append_audit(
            d.person, roles, "declare_interest", self._stage, self._stage, note=d.summary()
        )
        if d.has_interest:
            self._stand_aside(d.person)
        self._set_details()

    def _stand_aside(self, person: str) -> None:
        """Give each role only ``person`` could take to their superior, or tell the
        operators nobody can take it."""
        for role, to in successors(
            self._assignments, self._declarations, self._superiors, person
        ).items():
            label = self._def.roles[role].label if role in self._def.roles else role
            why = f"{person} có xung đột lợi ích / stands aside ({INTEREST_BASIS})"
            if to is None:
                self._append_audit(
                    SYSTEM_ACTOR, SYSTEM_ACTOR, "role_unstaffed", self._stage, self._stage,
                    note=f"{label}: {why}; cần phân công người khác / an operator must "
                    "reassign it (`legisflow reassign`)",
                )  # fmt: skip
                recipients = self._holders(self._def.operator_role)
                person_name = "(chưa có / nobody yet)"
            else:
                self._assignments = handed_over(self._assignments, [role], to)
                self._show_awaiting()
                self._append_audit(
                    SYSTEM_ACTOR, role, "reassigned", self._stage, self._stage,
                    note=f"{label} → {to.name} (thủ trưởng trực tiếp / direct superior): {why}",
                )  # fmt: skip
                recipients = notifications.recipients([to])
                person_name = to.name
            if recipients:
                self._effects.append(
                    notifications.reassigned(
                        self._header(), key=self._notice_key("reassigned"), to=recipients,
                        role_label=label, person=person_name, why=why,
                    )
                )  # fmt: skip

    @workflow.update
    def reassign(self, req: ReassignRequest) -> dict[str, list[str]]:
        """An absent or recused person's superior (or an operator) gives their tasks in this
        case to someone of the same agency; returns who holds each role now."""
        record_proof(self._proofs, req)
        roles = self._check_reassignment(req)
        self._assignments = handed_over(self._assignments, roles, req.to, replacing=req.person)
        self._show_awaiting()
        labels = ", ".join(self._def.roles[r].label for r in roles if r in self._def.roles)
        self._append_audit(
            req.actor, "superior", "reassign", self._stage, self._stage,
            note=f"{labels}: {req.person} → {req.to.name} ({req.to.id}) — {req.reason}",
        )  # fmt: skip
        self._effects.append(
            notifications.reassigned(
                self._header(), key=self._notice_key("reassigned"),
                to=notifications.recipients([req.to]), role_label=labels, person=req.to.name,
                why=req.reason,
            )
        )  # fmt: skip
        self._set_details()
        return {r: [a.id for a in self._assignments[r]] for r in roles}

    @reassign.validator
    def _validate_reassign(self, req: ReassignRequest) -> None:
        check_proof(self._proofs, req, "reassign")
        self._check_reassignment(req)

    def _check_reassignment(self, req: ReassignRequest) -> list[str]:
        operators = [a.id for a in self._assignments.get(self._def.operator_role, [])]
        try:
            roles = check_reassignment(self._assignments, self._superiors, operators, req)
        except InterestRefused as refusal:
            raise self._refused(refusal.code, refusal.message) from None
        if recused(self._declarations, req.to.id):
            raise self._refused(
                "recused",
                f"{req.to.id!r} declared a conflict of interest in this case and cannot take "
                "its tasks",
            )
        return roles

    @workflow.update(name="reply")
    def reply(self, req: ReplyRequest) -> ConsultView:
        """A consulted body's written opinion (ý kiến góp ý); recorded once per body."""
        record_proof(self._proofs, req)
        view = self._check_reply(req)
        self._declared_with(req.actor, req)
        version = self._add_document(req.document, req.actor, f"Ý kiến / Reply: {view.label}")
        self._append_audit(
            req.actor,
            view.role,
            "reply",
            self._stage,
            self._stage,
            note=req.note,
            document=req.document.sha256 if req.document else None,
        )
        self._effects.append(self._consults.record_reply(view, req.actor, workflow.now()))
        workflow.logger.info("reply from %s recorded (document version %s)", view.role, version)
        self._set_details()
        return self._consults.views[view.role]

    @reply.validator
    def _validate_reply(self, req: ReplyRequest) -> None:
        check_proof(self._proofs, req, "reply")
        self._check_reply(req)

    def _check_reply(self, req: ReplyRequest) -> ConsultView:
        try:
            view = self._consults.check_reply(req)
        except ReplyRefused as refusal:
            raise self._refused(refusal.code, refusal.message) from None
        self._check_decider(req.actor, req)
        return view

    @workflow.update(name="migrate")
    def migrate(self, req: MigrationRequest) -> str:
        """Move the case to another regime (chuyển chế độ pháp lý), audited; the stage is kept.

        Returns the new definition's key."""
        record_proof(self._proofs, req)
        self._check_migration(req)
        source = self._def.key
        self._def = shared_definition(req.definition)
        self._machine = shared_machine(req.definition)
        self._assignments = req.assignments
        self._show_awaiting()
        self._append_audit(
            req.operator,
            self._def.operator_role,
            "migrate_regime",
            self._stage,
            self._stage,
            note=f"{source} → {self._def.key}: {req.reason}",
        )
        self._show_regime()
        # The same stage under new rules: deadline, timers, visibility; open requests stay.
        self._enter_stage(consult=False)
        return self._def.key

    @migrate.validator
    def _validate_migrate(self, req: MigrationRequest) -> None:
        check_proof(self._proofs, req, "migrate")
        self._check_migration(req)

    # ---- a new official calendar (áp dụng lịch nghỉ mới) -----------------------------------

    @workflow.query
    def calendar_preview(self, change: CalendarChange) -> CalendarApplied:
        """What ``change`` would move, without moving it."""
        *_, moved = self._recount(change)
        return CalendarApplied(case_id=self._inp.case_id, moved=moved)

    @workflow.update
    def apply_calendar(self, change: CalendarChange) -> CalendarApplied:
        """Count the current stage's deadline and the open consultation requests' reply
        deadlines again on the new calendar: the stage's reminder and breach timers follow
        the new date (each request moves its own when it receives the change), and the trail
        says what moved and why. A deadline that had passed stays passed
        (``models.calendar_change``)."""
        record_proof(self._proofs, change)
        settings, updated, moved = self._recount(change)
        self._calendar_settings = settings
        self._calendar = settings.legal_calendar()
        if self._stage in updated:
            self._deadline = updated[self._stage]
        for role, view in list(self._consults.views.items()):
            moved_reply = updated.get(f"{CONSULT_PREFIX}{role}")
            if moved_reply is not None:
                self._consults.views[role] = view.model_copy(
                    update={"due": moved_reply.due, "due_legal_date": moved_reply.counted.due}
                )
        self._append_audit(
            change.operator,
            self._def.operator_role,
            "calendar_applied",
            self._stage,
            self._stage,
            note=audit_note(change, moved),
        )
        self._calendar_seq += 1
        self._show_due()
        self._set_details()
        return CalendarApplied(case_id=self._inp.case_id, moved=moved)

    @apply_calendar.validator
    def _validate_calendar(self, change: CalendarChange) -> None:
        check_proof(self._proofs, change, "apply_calendar")
        self._check_operator(change.operator)

    def _check_operator(self, person: str) -> None:
        operators = [a.id for a in self._assignments.get(self._def.operator_role, [])]
        if person not in operators:
            raise self._refused(
                "wrong_role",
                f"{person!r} is not an authorised operator "
                f"({self._def.operator_role}) of this case; operators: "
                f"{', '.join(operators) or 'none'}",
            )

    # ---- the sign-in service's keys (khóa đăng nhập) -----------------------------------------

    @workflow.update
    def rotate_keys(self, req: KeyRotation) -> list[str]:
        """Trust the sign-in service's new key(s) from now on; returns their ids. Children
        started from now on get them; those already running keep the keys they started with."""
        record_proof(self._proofs, req)
        before = ", ".join(self._proofs.keys)
        self._proofs = self._proofs.rotated(req.keys)
        after = ", ".join(self._proofs.keys)
        self._append_audit(
            req.operator,
            self._def.operator_role,
            "keys_rotated",
            self._stage,
            self._stage,
            note=f"{before} → {after}: {req.reason}",
        )
        return list(self._proofs.keys)

    @rotate_keys.validator
    def _validate_rotation(self, req: KeyRotation) -> None:
        role = self._def.operator_role
        operators = [a.id for a in self._assignments.get(role, [])]
        check_rotation(self._proofs, req, operators, role)

    # ---- another build of the workers (legisflow upgrade; RecordsVersionMoves) -------------

    def _check_version_mover(self, person: str) -> None:
        self._check_operator(person)

    def _version_moved(self, req: VersionMove) -> None:
        self._append_audit(
            req.operator,
            self._def.operator_role,
            "version_moved",
            self._stage,
            self._stage,
            note=req.note(),
        )

    def _recount(
        self, change: CalendarChange
    ) -> tuple[CalendarSettings, dict[str, StageDeadline], list[MovedDeadline]]:
        settings = self._calendar_settings.model_copy(update={"official": change.official})
        calendar = settings.legal_calendar()
        current = {self._stage: self._deadline} if self._deadline is not None else {}
        consults = {c.role: c for c in self._def.stages[self._stage].consults}
        for role, view in self._consults.views.items():
            if view.settled or view.sent_at is None or role not in consults:
                continue
            current[f"{CONSULT_PREFIX}{role}"] = legal_deadline(
                self._stage, consults[role].reply, view.sent_at, self._clock, self._calendar,
                self._simplified,
            )  # fmt: skip
        updated, moved = reproject(
            current,
            lambda dl: legal_deadline(
                dl.stage, dl.rule, dl.anchored_at, self._clock, calendar, self._simplified
            ),
            workflow.now(),
        )
        return settings, updated, moved

    def _check_migration(self, req: MigrationRequest) -> None:
        operators = [a.id for a in self._assignments.get(self._def.operator_role, [])]
        refusal: tuple[str, str] | None = None
        if req.operator not in operators:
            refusal = (
                "wrong_role",
                f"{req.operator!r} is not an authorised operator "
                f"({self._def.operator_role}) of this case; operators: "
                f"{', '.join(operators) or 'none'}",
            )
        elif req.source_key != self._def.key:
            refusal = (
                "migration_stale",
                f"the move was planned from {req.source_key or 'an unstated regime'}, but the "
                f"case is under {self._def.key} now: plan it again (--dry-run)",
            )
        elif req.definition_digest != definition_digest(req.definition) or (
            req.definition_digest not in shipped_digests()
        ):
            refusal = (
                "definition_not_shipped",
                f"{req.definition.key} as sent is not a definition this deployment ships "
                "(models/processes/): a case moves only to a shipped regime",
            )
        else:
            plan = plan_migration(self._def, req.definition, self._stage, self._simplified)
            missing = _unassigned(req.definition, req.assignments)
            if plan.refusal:
                refusal = ("migration_refused", plan.refusal)
            elif missing:
                refusal = (
                    "migration_refused",
                    f"nobody holds {', '.join(missing)} under {req.definition.key} for this case",
                )
        if refusal:
            raise self._refused(*refusal)

    @workflow.signal(name=COMMENTS_OPEN_SIGNAL)
    def comments_open(self, count: int) -> None:
        """From the comment ledger: how many distinct comments lack a disposition. Anyone
        who reaches the frontend can send this signal, so it only says to ask the ledger
        (``CountComments``); before the patch it was believed."""
        if workflow.patched(COUNT_COMMENTS_PATCH):
            self._effects[:] = [e for e in self._effects if not isinstance(e, CountComments)]
            self._effects.append(CountComments(claimed=count))
            return
        self._consults.comments_pending = count > 0
        self._set_details()

    @workflow.signal(name=CONSULT_OVERDUE_SIGNAL)
    def consult_overdue(self, role: str) -> None:
        """From a ConsultationRequest child: its body let the reply deadline pass. The case
        checks that fact itself (the deadline is its own): a signal sent before the reply
        is due is a forgery, ignored and written to the audit trail. An issue's deadline
        request reports as ``issue:<number>`` (``SendsIssuesUp``)."""
        if role.startswith(ISSUE_PREFIX):
            self._issue_overdue(role)
            return
        view = self._consults.views.get(role)
        if view is not None and view.due is not None and workflow.now() < view.due:
            self._append_audit(
                SYSTEM_ACTOR,
                SYSTEM_ACTOR,
                "forged_signal_ignored",
                self._stage,
                self._stage,
                note=f"consult_overdue for {view.label}: the reply is due "
                f"{view.due_legal_date:%d/%m/%Y}",
            )
            return
        if self._consults.mark_overdue(role):
            self._append_audit(
                SYSTEM_ACTOR,
                SYSTEM_ACTOR,
                "reply_overdue",
                self._stage,
                self._stage,
                note=self._consults.views[role].label,
            )
            self._set_details()

    def _apply(self, t: Transition, req: ActionRequest, *, system: bool = False) -> ActionResult:
        source = self._stage
        version = self._add_document(req.document, req.actor, f"{t.label} / {t.label_en}")
        note = req.note
        under = None
        if req.on_behalf_of is not None:
            under = acting_for(
                self._delegations, t.role, req.actor, req.on_behalf_of, workflow.now()
            )
            assert under is not None  # the validator checked it
            note = f"{under.signed_as()}" + (f" — {req.note}" if req.note else "")
            self._effects.append(
                notifications.acted_for(
                    self._header(),
                    key=self._notice_key("acted_for"),
                    to=notifications.recipients([under.holder]),
                    delegation=under,
                    action=f"{t.label} / {t.label_en}",
                )
            )
        entry = self._append_audit(
            req.actor,
            SYSTEM_ACTOR if system else t.role,
            t.action,
            source,
            t.dest,
            note=note,
            document=req.document.sha256 if req.document else None,
            on_behalf_of=req.on_behalf_of,
        )
        self._leave_stage(t, req.actor)
        self._stage = self._machine.next_stage(source, t.action, self._simplified)
        self._entered[self._stage] = workflow.now()
        self._entered_by = req.actor
        workflow.metric_meter().create_counter(
            "legisflow_stage_transitions", "Stage transitions by type and stage"
        ).add(1, {"type": self._def.doc_type, "stage": self._stage})
        self._enter_stage()
        return ActionResult(
            action=t.action,
            from_stage=source,
            stage=self._stage,
            stage_label=self._def.stages[self._stage].label,
            audit_seq=entry.seq,
            document_version=version,
        )

    # ---- helpers ---------------------------------------------------------------------------

    def _refused(self, code: str, message: str) -> ApplicationError:
        """A validator's refusal, counted (metrics are not history: emitting one from a
        validator writes nothing)."""
        workflow.metric_meter().create_counter(
            "legisflow_refused_actions", "Actions refused by the rules, by type and reason"
        ).add(1, {"type": self._def.doc_type, "code": code})
        return refuse(code, message)


def _unassigned(definition: ProcessDefinition, assignments: dict[str, list[ActorRef]]) -> list[str]:
    used = {t.role for t in definition.transitions if not t.automatic}
    return sorted(r for r in used if not assignments.get(r))
