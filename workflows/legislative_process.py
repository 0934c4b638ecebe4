"""``LegislativeProcess``: one document's life (vòng đời văn bản) as a durable workflow.

The workflow interprets the process definition it receives; it never names a stage of a
particular procedure. People act through the ``act`` Update, whose validator refuses an
illegal action before anything is written to history. Side effects (document versions,
notifications) are queued by handlers and carried out by the main loop through activities,
so an Update returns as soon as the decision is recorded.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    ChildWorkflowError,
    WorkflowAlreadyStartedError,
)

with workflow.unsafe.imports_passed_through():
    from activities.ports import (
        DocumentRef,
        DocumentVersion,
        Notification,
        Publication,
        PublicationChannel,
        Recipient,
    )
    from models import notifications
    from models.actors import ActorRef
    from models.audit import AuditExport, export_lines
    from models.calendar import LegalCalendar
    from models.case import (
        ActionRequest,
        ActionResult,
        AllowedAction,
        AuditEntry,
        CaseInput,
        CaseResult,
        CaseStatus,
        ConsultView,
        DeadlineView,
        MigrationRequest,
        ReplyRequest,
    )
    from models.definition import (
        SYSTEM_ACTOR,
        Body,
        DeadlineKind,
        GeneratedDocument,
        ProcessDefinition,
        Transition,
    )
    from models.legal_time import LegalClock, StageDeadline, compute_deadline, deadline_from
    from models.machine import ProcessMachine
    from models.migration import plan_migration
    from models.monitoring import IN_FORCE, MonitoringInput
    from models.monitoring import STAGES as MONITORING_STAGES
    from models.post_issuance import CaseTime, DocumentInfo
    from models.rules import (
        ActionRefused,
        RuleContext,
        allowed_actions,
        blocked_actions,
        check_action,
    )
    from models.synthesis_report import ReportRequest
    from workflows import search_attributes as sa
    from workflows.comment_ledger import CommentLedger
    from workflows.consultation_request import ConsultationRequest
    from workflows.consultations import (
        CancelRequest,
        ChildOp,
        Consultations,
        ForwardReply,
        ReplyRefused,
        SignalLedger,
        StartLedger,
        StartRequest,
    )
    from workflows.monitoring import DocumentMonitoring
    from workflows.side_effects import (
        COMMENTS_OPEN_SIGNAL,
        CONSULT_OVERDUE_SIGNAL,
        generate_synthesis_report,
        publish_document,
        record_document_version,
        send_notification,
        store_audit_export,
    )


@dataclass(frozen=True)
class StoreAudit:
    """Export the chained audit trail to the document store (when the case ends)."""


@dataclass(frozen=True)
class GenerateReport:
    request: ReportRequest
    actor: str
    label: str


@dataclass(frozen=True)
class StartMonitoring:
    """Start the document's monitoring (theo dõi thi hành), which outlives the case."""

    inp: MonitoringInput


Effect = (
    DocumentVersion
    | Notification
    | Publication
    | GenerateReport
    | StoreAudit
    | ChildOp
    | StartMonitoring
)

#: Effects that start, signal or cancel child workflows: they depend on one another, so when
#: effects are carried out together these still go one after the other (in queue order).
CHILD_OPERATIONS = (
    StartRequest,
    ForwardReply,
    CancelRequest,
    StartLedger,
    SignalLedger,
    StartMonitoring,
)
#: Patch id: several waiting effects are carried out together (issue #8: fewer workflow
#: tasks per stage entry) instead of one at a time.
CONCURRENT_EFFECTS_PATCH = "concurrent-effects"


@workflow.defn
class LegislativeProcess:
    """Thủ tục xây dựng, ban hành văn bản quy phạm pháp luật — one case."""

    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        self._inp = inp
        self._def = inp.definition
        self._machine = ProcessMachine(inp.definition)
        self._assignments = inp.assignments
        self._calendar = LegalCalendar(
            extra_days_off=inp.calendar.extra_days_off,
            extra_working_days=inp.calendar.extra_working_days,
        )
        start = workflow.info().start_time
        self._clock = LegalClock(origin=start, legal_day_seconds=inp.legal_day_seconds)
        self._stage = self._def.initial
        self._entered: dict[str, datetime] = {self._stage: start}
        self._entered_by: str | None = inp.started_by
        self._stage_seq = 0
        self._overdue = False
        self._timer_done: set[str] = set()
        self._audit: list[AuditEntry] = []
        self._documents: list[DocumentVersion] = []
        self._effects: list[Effect] = []
        self._notice_seq = 0
        self._deadline: StageDeadline | None = None
        self._failed_effects: list[str] = []
        self._simplified = inp.simplified is not None
        self._consults = Consultations()
        self._publish_seq = 0
        self._consult_handles: dict[
            str, workflow.ChildWorkflowHandle[ConsultationRequest, bool]
        ] = {}
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
        seq = self._stage_seq
        timer = self._next_timer()

        def changed() -> bool:
            return self._stage_seq != seq or bool(self._effects)

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
                if dl.due <= workflow.now() and workflow.patched("skip-stale-reminder"):
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
            workflow.upsert_search_attributes([sa.OVERDUE.value_set(True)])
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

    async def _drain_effects(self) -> None:
        while self._effects:
            # Several effects waiting (one stage entry's): carried out together. Cases
            # started before this change do them one at a time, as their histories say.
            if len(self._effects) > 1 and workflow.patched(CONCURRENT_EFFECTS_PATCH):
                await self._perform_together(list(self._effects))
                continue
            # Removed only once done, so ``pending_effects`` counts the one in flight.
            effect = self._effects[0]
            what = await self._attempt(effect)
            if what is not None:
                self._effect_failed(effect, what)
            self._effects.pop(0)

    async def _perform_together(self, batch: list[Effect]) -> None:
        """Carry out ``batch`` at once: each activity is scheduled in the same workflow task,
        in queue order, and the child-workflow operations (which depend on each other: a
        ledger is started before it is signalled, a request before its reply is forwarded)
        run one after the other alongside them. Failures are then recorded in queue order,
        each as ``effect_failed`` of its own effect, exactly as one at a time."""
        children = [e for e in batch if isinstance(e, CHILD_OPERATIONS)]
        activities = [e for e in batch if not isinstance(e, CHILD_OPERATIONS)]

        async def in_order() -> list[str | None]:
            return [await self._attempt(e) for e in children]

        # The activities' tasks are created first, in queue order, then the children's.
        alone, chained = await asyncio.gather(
            asyncio.gather(*(self._attempt(e) for e in activities)), in_order()
        )
        failed = dict(zip(map(id, activities), alone, strict=True))
        failed.update(zip(map(id, children), chained, strict=True))
        for effect in batch:
            what = failed[id(effect)]
            if what is not None:
                self._effect_failed(effect, what)
        # Removed only once all are done (``pending_effects`` counts those in flight);
        # effects queued meanwhile (by an Update, or ops' notices) stay, in order.
        finished = {id(e) for e in batch}
        self._effects[:] = [e for e in self._effects if id(e) not in finished]

    async def _attempt(self, effect: Effect) -> str | None:
        """Carry out ``effect``; what went wrong if it could not be done."""
        try:
            await self._perform(effect)
        except (ActivityError, ChildWorkflowError) as err:
            return f"{type(effect).__name__} failed: {err.cause or err}"
        return None

    def _effect_failed(self, effect: Effect, what: str) -> None:
        # A side effect that cannot be done must not fail the case: record it so ops see
        # it in the trail and the UI, and go on.
        self._failed_effects.append(what)
        self._append_audit(
            SYSTEM_ACTOR, SYSTEM_ACTOR, "effect_failed", self._stage, self._stage, note=what
        )
        workflow.logger.error("side effect failed: %s", what)
        self._tell_ops(effect, what)

    def _tell_ops(self, failed: Effect, what: str) -> None:
        """Ops hear of a side effect that could not be done (unless that was their notice)."""
        if isinstance(failed, Notification) and failed.kind == "effect_failed":
            return
        to = self._holders(self._def.operator_role)
        if to:
            self._effects.append(
                notifications.effect_failed(
                    self._header(), key=self._notice_key("effect_failed"), to=to, what=what
                )
            )

    async def _perform(self, effect: Effect) -> None:
        if isinstance(effect, DocumentVersion):
            await record_document_version(effect)
        elif isinstance(effect, Notification):
            await send_notification(effect)
        elif isinstance(effect, StartRequest):
            self._consult_handles[effect.inp.request_id] = await workflow.start_child_workflow(
                ConsultationRequest.run,
                effect.inp,
                id=effect.inp.request_id,
                static_summary=f"Lấy ý kiến / Consultation: {effect.inp.body_label}",
            )
        elif isinstance(effect, ForwardReply):
            handle = self._consult_handles.pop(effect.request_id, None)
            if handle is not None and not handle.done():
                await handle.signal(ConsultationRequest.replied)
        elif isinstance(effect, CancelRequest):
            handle = self._consult_handles.pop(effect.request_id, None)
            if handle is not None and not handle.done():
                handle.cancel()
        elif isinstance(effect, StartLedger):
            await workflow.start_child_workflow(
                CommentLedger.run,
                effect.inp,
                id=effect.inp.ledger_id,
                static_summary="Sổ góp ý / Comment ledger",
            )
        elif isinstance(effect, SignalLedger):
            await workflow.get_external_workflow_handle(effect.ledger_id).signal(effect.signal)
        elif isinstance(effect, Publication):
            await publish_document(effect)
        elif isinstance(effect, StoreAudit):
            export = AuditExport(
                case_id=self._inp.case_id, lines=export_lines(self._inp.case_id, self._audit)
            )
            ref = await store_audit_export(export)
            self._add_document(ref, SYSTEM_ACTOR, "Nhật ký xử lý hồ sơ / Audit trail")
        elif isinstance(effect, StartMonitoring):
            await self._start_monitoring(effect.inp)
        elif isinstance(effect, GenerateReport):
            for ref in await generate_synthesis_report(effect.request):
                self._add_document(ref, effect.actor, effect.label)
            self._append_audit(
                SYSTEM_ACTOR,
                SYSTEM_ACTOR,
                "report_generated",
                self._stage,
                self._stage,
                note=effect.label,
                document=self._documents[-2].document.sha256,
            )

    # ---- decisions -------------------------------------------------------------------------

    @workflow.update(name="act")
    def act(self, req: ActionRequest) -> ActionResult:
        """Take an action (thực hiện thao tác); see the validator for what is refused."""
        t = self._check(req)
        return self._apply(t, req)

    @act.validator
    def _validate_act(self, req: ActionRequest) -> None:
        self._check(req)

    def _check(self, req: ActionRequest) -> Transition:
        try:
            return check_action(self._rule_context(), req)
        except ActionRefused as refusal:
            self._count_refusal(refusal.code)
            raise ApplicationError(
                refusal.message, refusal.code, type="ActionRefused", non_retryable=True
            ) from None

    @workflow.update(name="reply")
    def reply(self, req: ReplyRequest) -> ConsultView:
        """A consulted body's written opinion (ý kiến góp ý); recorded once per body."""
        view = self._check_reply(req)
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
        self._check_reply(req)

    def _check_reply(self, req: ReplyRequest) -> ConsultView:
        try:
            return self._consults.check_reply(req)
        except ReplyRefused as refusal:
            self._count_refusal(refusal.code)
            raise ApplicationError(
                refusal.message, refusal.code, type="ActionRefused", non_retryable=True
            ) from None

    @workflow.update(name="migrate")
    def migrate(self, req: MigrationRequest) -> str:
        """Move the case to another regime (chuyển chế độ pháp lý), audited; the stage is kept.

        Returns the new definition's key."""
        self._check_migration(req)
        source = self._def.key
        self._def = req.definition
        self._machine = ProcessMachine(req.definition)
        self._assignments = req.assignments
        self._append_audit(
            req.operator,
            self._def.operator_role,
            "migrate_regime",
            self._stage,
            self._stage,
            note=f"{source} → {self._def.key}: {req.reason}",
        )
        workflow.upsert_search_attributes([sa.LEGAL_REGIME.value_set(self._def.regime)])
        # The same stage under new rules: deadline, timers, visibility; open requests stay.
        self._enter_stage(consult=False)
        return self._def.key

    @migrate.validator
    def _validate_migrate(self, req: MigrationRequest) -> None:
        self._check_migration(req)

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
            raise ApplicationError(refusal[1], refusal[0], type="ActionRefused", non_retryable=True)

    @workflow.query
    def definition(self) -> ProcessDefinition:
        """The definition the case runs under now."""
        return self._def

    @workflow.signal(name=COMMENTS_OPEN_SIGNAL)
    def comments_open(self, count: int) -> None:
        """From the comment ledger: how many distinct comments lack a disposition."""
        self._consults.comments_pending = count > 0
        self._set_details()

    @workflow.signal(name=CONSULT_OVERDUE_SIGNAL)
    def consult_overdue(self, role: str) -> None:
        """From a ConsultationRequest child: its body let the reply deadline pass."""
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

    def _add_document(self, ref: DocumentRef | None, actor: str, label: str) -> int | None:
        if ref is None:
            return None
        doc = DocumentVersion(
            case_id=self._inp.case_id,
            version=len(self._documents) + 1,
            document=ref,
            label=label,
            recorded_by=actor,
            recorded_at=workflow.now(),
        )
        self._documents.append(doc)
        self._effects.append(doc)
        return doc.version

    def _apply(self, t: Transition, req: ActionRequest, *, system: bool = False) -> ActionResult:
        source = self._stage
        version = self._add_document(req.document, req.actor, f"{t.label} / {t.label_en}")
        entry = self._append_audit(
            req.actor,
            SYSTEM_ACTOR if system else t.role,
            t.action,
            source,
            t.dest,
            note=req.note,
            document=req.document.sha256 if req.document else None,
            on_behalf_of=req.on_behalf_of,
        )
        if t.closes_consultation:
            self._effects.extend(self._consults.finish())
        if t.generates is GeneratedDocument.SYNTHESIS_REPORT and self._consults.ledger_id:
            self._effects.append(
                GenerateReport(
                    ReportRequest(
                        case_id=self._inp.case_id,
                        ledger_id=self._consults.ledger_id,
                        title=self._inp.title,
                        agency=self._inp.drafting_agency_name,
                        day=self._clock.legal_date(workflow.now()),
                    ),
                    actor=req.actor,
                    label=f"{t.label} / {t.label_en}",
                )
            )
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

    def _enter_stage(self, *, consult: bool = True) -> None:
        """Bookkeeping on every stage entry: deadline, timers, visibility, notifications,
        and the written consultations the stage opens (``consult``)."""
        self._stage_seq += 1
        self._overdue = False
        self._timer_done = set()
        self._deadline = self._compute_deadline(self._stage)
        due = (
            self._deadline.due
            if self._deadline and self._deadline.kind is DeadlineKind.MAXIMUM
            else None
        )
        workflow.upsert_search_attributes(
            [
                sa.LEGAL_STAGE.value_set(self._stage),
                sa.OVERDUE.value_set(False),
                sa.STAGE_DUE_AT.value_set(due) if due else sa.STAGE_DUE_AT.value_unset(),
            ]
        )
        if consult:
            self._consultation_on_entry()
        self._set_details()
        h = self._header()
        if self._machine.is_final(self._stage):
            if self._def.stages[self._stage].monitor and workflow.patched("start-monitoring"):
                self._effects.append(StartMonitoring(self._monitoring_input()))
            to = self._holders(*self._drafting_roles())
            if to:
                self._effects.append(notifications.closed(h, key=self._notice_key("closed"), to=to))
            return
        actions = allowed_actions(self._rule_context())
        people = [
            a for act in actions for a in self._assignments.get(act.role, []) if a.id in act.actors
        ]
        if actions and people:
            self._effects.append(
                notifications.assignment(
                    h,
                    key=self._notice_key("assignment"),
                    actions=actions,
                    to=notifications.recipients(people),
                    deadline=self._deadline,
                )
            )

    # ---- queries ---------------------------------------------------------------------------

    @workflow.query
    def status(self) -> CaseStatus:
        """Where the case is, what can be done now, and its deadlines."""
        ctx = self._rule_context()
        stage = self._def.stages[self._stage]
        return CaseStatus(
            id=self._inp.case_id,
            type=self._def.doc_type,
            regime=self._def.regime,
            title=self._inp.title,
            drafting_agency=self._inp.drafting_agency,
            stage=self._stage,
            stage_label=stage.label,
            stage_label_en=stage.label_en,
            final=self._machine.is_final(self._stage),
            simplified=self._simplified,
            legal_day_seconds=self._clock.legal_day_seconds,
            overdue=self._overdue,
            allowed=allowed_actions(ctx),
            blocked=blocked_actions(ctx),
            deadlines=self._deadline_views(),
            consultations=list(self._consults.views.values()),
            comments_pending=self._consults.comments_pending,
            roles={r: [a.id for a in people] for r, people in self._assignments.items()},
            documents=list(self._documents),
            audit_entries=len(self._audit),
            started_at=self._clock.origin,
            legal_today=self._clock.legal_date(workflow.now()),
            pending_effects=len(self._effects),
            links=list(self._inp.links),
        )

    @workflow.query
    def allowed(self, actor: str | None = None) -> list[AllowedAction]:
        """What ``actor`` (or anyone, when None) can do now."""
        return allowed_actions(self._rule_context(), actor)

    @workflow.query
    def audit(self) -> list[AuditEntry]:
        """The audit trail: who did what, when, with which note and document."""
        return list(self._audit)

    @workflow.query
    def deadlines(self) -> list[DeadlineView]:
        return self._deadline_views()

    # ---- helpers ---------------------------------------------------------------------------

    def _consultation_on_entry(self) -> None:
        stage = self._def.stages[self._stage]
        if self._machine.is_final(self._stage):
            self._effects.extend(self._consults.finish())
            if workflow.patched("audit-export-at-close"):
                self._effects.append(StoreAudit())
            return
        self._effects.extend(
            self._consults.comments(
                collects=stage.comments,
                case_id=self._inp.case_id,
                drafters=[
                    a.id for r in self._drafting_roles() for a in self._assignments.get(r, [])
                ],
                continue_after=self._inp.comment_ledger_events,
            )
        )
        if stage.publish is not None and self._documents:
            self._effects.append(self._publication(stage.publish))
        # Requests stay open across stages until a transition closes the consultation;
        # cases started before that rule closed them on every stage change.
        keep = not stage.consults and self._consults.has_open_requests
        if keep and workflow.patched("consultations-span-stages"):
            return
        self._open_consultations()

    def _publication(self, channel: PublicationChannel) -> Publication:
        doc = self._documents[-1]
        self._publish_seq += 1
        stage = self._def.stages[self._stage]
        return Publication(
            key=f"{self._inp.case_id}/publish/{channel}/{self._publish_seq}",
            case_id=self._inp.case_id,
            channel=channel,
            title=self._inp.title,
            document=doc.document,
            requested_at=workflow.now(),
            text=f"{self._def.name}: {self._inp.title} — {stage.label} / {stage.label_en}"
            f" ({self._inp.drafting_agency_name}; phiên bản / version {doc.version})",
        )

    def _monitoring_input(self) -> MonitoringInput:
        inp = self._inp
        return MonitoringInput(
            monitoring_id=f"{inp.case_id}/monitoring",
            document=DocumentInfo(
                case_id=inp.case_id,
                title=inp.title,
                doc_type=self._def.doc_type,
                doc_name=self._def.name,
                regime=self._def.regime,
                level=self._def.level,
                drafting_agency=inp.drafting_agency,
                drafting_agency_name=inp.drafting_agency_name,
            ),
            case_assignments=self._assignments,
            in_force_at=workflow.now(),
            time=CaseTime(
                origin=self._clock.origin,
                legal_day_seconds=self._clock.legal_day_seconds,
                calendar=inp.calendar,
            ),
        )

    async def _start_monitoring(self, inp: MonitoringInput) -> None:
        doc = inp.document
        try:
            await workflow.start_child_workflow(
                DocumentMonitoring.run,
                inp,
                id=inp.monitoring_id,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(sa.LEGAL_STAGE, MONITORING_STAGES[IN_FORCE]),
                        SearchAttributePair(sa.DOCUMENT_TYPE, doc.doc_type),
                        SearchAttributePair(sa.DRAFTING_AGENCY, doc.drafting_agency),
                        SearchAttributePair(sa.LEGAL_REGIME, doc.regime),
                        SearchAttributePair(sa.OVERDUE, False),
                    ]
                ),
                memo={"title": doc.title, "document": doc.case_id, "type": doc.doc_name},
                static_summary=f"Theo dõi thi hành / Monitoring: {doc.title}"[:400],
            )
        except WorkflowAlreadyStartedError:
            workflow.logger.warning("monitoring %s already exists", inp.monitoring_id)

    def _open_consultations(self) -> None:
        now = workflow.now()
        replies = {
            c.role: deadline_from(
                self._stage, c.reply, now, self._clock, self._calendar, self._simplified
            )
            for c in self._def.stages[self._stage].consults
        }
        self._effects.extend(
            self._consults.open(
                definition=self._def,
                stage=self._stage,
                stage_seq=self._stage_seq,
                case_id=self._inp.case_id,
                title=self._inp.title,
                assignments=self._assignments,
                deadline_of=replies,
            )
        )

    def _count_refusal(self, code: str) -> None:
        # Metrics are not history: emitting one from a validator writes nothing.
        workflow.metric_meter().create_counter(
            "legisflow_refused_actions", "Actions refused by the rules, by type and reason"
        ).add(1, {"type": self._def.doc_type, "code": code})

    def _compute_deadline(self, stage: str) -> StageDeadline | None:
        return compute_deadline(
            self._def, stage, self._entered, self._clock, self._calendar, self._simplified
        )

    def _rule_context(self) -> RuleContext:
        return RuleContext(
            machine=self._machine,
            stage=self._stage,
            entered_by=self._entered_by,
            assignments=self._assignments,
            deadline=self._deadline,
            now=workflow.now(),
            simplified=self._simplified,
            consultations=list(self._consults.views.values()),
            comments_pending=self._consults.comments_pending,
        )

    def _deadline_views(self) -> list[DeadlineView]:
        """The current stage's deadline, then known deadlines of later stages (anchored on a
        stage already entered, e.g. the earliest entry into force once signed)."""
        views = []
        for name in self._def.stages:
            if name != self._stage and (
                self._machine.is_final(self._stage) or name in self._entered
            ):
                continue
            dl = self._deadline if name == self._stage else self._compute_deadline(name)
            if dl is None:
                continue
            stage = self._def.stages[name]
            views.append(
                DeadlineView(
                    name=f"{stage.label} / {stage.label_en}",
                    stage=name,
                    kind=dl.kind.value,
                    days=dl.rule.days,
                    unit=dl.rule.unit.value,
                    due=dl.due,
                    due_legal_date=dl.counted.due,
                    basis=dl.rule.basis,
                    confirmed=dl.rule.confirmed,
                    explanation=dl.explanation(),
                    explanation_vi=dl.explanation_vi(),
                    overdue=self._overdue and name == self._stage,
                )
            )
        views.sort(key=lambda v: v.stage != self._stage)
        return views

    def _append_audit(
        self,
        actor: str,
        role: str,
        action: str,
        source: str | None,
        dest: str,
        *,
        note: str | None = None,
        document: str | None = None,
        on_behalf_of: str | None = None,
    ) -> AuditEntry:
        now = workflow.now()
        entry = AuditEntry(
            seq=len(self._audit) + 1,
            at=now,
            legal_date=self._clock.legal_date(now),
            actor=actor,
            role=role,
            action=action,
            from_stage=source,
            to_stage=dest,
            note=note,
            document_sha256=document,
            on_behalf_of=on_behalf_of,
        )
        self._audit.append(entry)
        return entry

    def _set_details(self) -> None:
        stage = self._def.stages[self._stage]
        lines = [
            f"**{self._inp.title}**",
            f"Giai đoạn / Stage: **{stage.label}** ({stage.label_en})",
        ]
        for a in allowed_actions(self._rule_context()):
            lines.append(f"- Cần xử lý / Next: {a.label_en} — {a.role}: {', '.join(a.actors)}")
        dl = self._deadline
        if dl is not None:
            kind = "sớm nhất / not before" if dl.kind is DeadlineKind.MINIMUM else "hạn / due"
            lines.append(f"{kind}: {dl.counted.due:%d/%m/%Y} ({dl.explanation()})")
        if self._overdue:
            lines.append("**QUÁ HẠN / OVERDUE**")
        workflow.set_current_details("\n".join(lines))

    def _holders(self, *roles: str | None) -> list[Recipient]:
        people = [a for r in roles if r for a in self._assignments.get(r, [])]
        return notifications.recipients(people)

    def _drafting_roles(self) -> list[str]:
        return [r for r, role in self._def.roles.items() if role.body is Body.DRAFTING]

    def _notice_key(self, kind: str) -> str:
        # Stable across retries and replays: workflow id + a per-case sequence number.
        self._notice_seq += 1
        return f"{self._inp.case_id}/{self._notice_seq:05d}-{kind}"

    def _header(self) -> notifications.CaseHeader:
        stage = self._def.stages[self._stage]
        return notifications.CaseHeader(
            case_id=self._inp.case_id,
            title=self._inp.title,
            stage_label=stage.label,
            stage_en=stage.label_en,
            at=workflow.now(),
        )


def _unassigned(definition: ProcessDefinition, assignments: dict[str, list[ActorRef]]) -> list[str]:
    used = {t.role for t in definition.transitions if not t.automatic}
    return sorted(r for r in used if not assignments.get(r))
