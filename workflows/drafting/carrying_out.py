"""How a case's main loop carries out the side effects its handlers queued (``effects.py``
says what they are).

Handlers (Updates, signals, timers) only queue effects (``CaseState._effects``); the main
loop of ``LegislativeProcess`` drains the queue through activities and child workflows, so an
Update returns as soon as the decision is recorded. An effect that cannot be done is recorded
(``effect_failed``) and ops are told; the case goes on.

Workflow code (deterministic): what is scheduled here, and in which order, is what the
committed histories replay (``tests/replay``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import (
    ActivityError,
    ChildWorkflowError,
    TimeoutError,
    WorkflowAlreadyStartedError,
)

with workflow.unsafe.imports_passed_through():
    from models import notifications
    from models.audit import AuditExport, export_lines
    from models.authorship import KeysPinned
    from models.definition import SYSTEM_ACTOR
    from models.deliveries import EffectBatch, EffectItem, Notification
    from models.documents import DocumentVersion
    from models.monitoring import MonitoringInput
    from models.public_consultation import PUBLIC_INTAKE_PATCH, IntakeOpening
    from models.signature_evidence import SignedDocumentCheck
    from workflows import search_attributes as sa
    from workflows.activity_calls import (
        carry_out_effects,
        check_signed_document,
        close_public_intake,
        count_open_comments,
        generate_synthesis_report,
        open_public_intake,
        store_audit_export,
    )
    from workflows.after_issuance.monitoring import DocumentMonitoring
    from workflows.drafting.case_state import CaseState
    from workflows.drafting.comment_ledger import CommentLedger
    from workflows.drafting.consultation_request import ConsultationRequest
    from workflows.drafting.consultations import (
        CancelRequest,
        ForwardReply,
        SignalLedger,
        StartLedger,
        StartRequest,
    )
    from workflows.drafting.effects import (
        BATCHED,
        CHILD_OPERATIONS,
        Batched,
        CheckSignature,
        CountComments,
        Effect,
        GenerateReport,
        StartMonitoring,
        StoreAudit,
    )


#: A child workflow's input (it pins the sign-in keys).
KeyedInput = TypeVar("KeyedInput", bound=KeysPinned)


class CaseEffects(CaseState):
    """Carrying out the case's queued side effects (mixed into ``LegislativeProcess``)."""

    #: From ``CaseViews``, which the workflow mixes in too (an annotation: no attribute here).
    _set_details: Callable[[], None]

    async def _drain_effects(self) -> None:
        # What is waiting (one stage entry's effects, say) is carried out together; effects
        # queued meanwhile (by an Update, or ops' notices) go in the next round.
        while self._effects:
            await self._perform_together(list(self._effects))

    async def _perform_together(self, batch: list[Effect]) -> None:
        """Carry out ``batch`` at once. Its other activities are scheduled in the same workflow
        task, in queue order, and its versions, notices and postings go in one activity after
        them; the child-workflow operations (which depend on each other: a ledger is started
        before it is signalled, a request before its reply is forwarded) run one after the
        other alongside them. Failures are then recorded in queue order, each as
        ``effect_failed`` of its own effect."""
        children = [e for e in batch if isinstance(e, CHILD_OPERATIONS)]
        together = [e for e in batch if isinstance(e, BATCHED)]
        apart = {id(e) for e in children + together}
        activities = [e for e in batch if id(e) not in apart]

        async def in_order() -> list[str | None]:
            return [await self._attempt(e) for e in children]

        async def in_one() -> list[str | None]:
            return await self._attempt_batch(together) if together else []

        # The inner gather creates its tasks first: the separate activities are scheduled
        # before the batch and the children (the order the committed histories replay).
        one, alone, chained = await asyncio.gather(
            in_one(), asyncio.gather(*(self._attempt(e) for e in activities)), in_order()
        )
        failed = dict(zip(map(id, together), one, strict=True))
        failed.update(zip(map(id, activities), alone, strict=True))
        failed.update(zip(map(id, children), chained, strict=True))
        for effect in batch:
            what = failed[id(effect)]
            if what is not None:
                self._effect_failed(effect, what)
        # Removed only once all are done (``pending_effects`` counts those in flight);
        # effects queued meanwhile (by an Update, or ops' notices) stay, in order.
        finished = {id(e) for e in batch}
        self._effects[:] = [e for e in self._effects if id(e) not in finished]

    async def _attempt_batch(self, effects: Sequence[Batched]) -> list[str | None]:
        """Carry out ``effects`` in one activity; what went wrong with each."""
        batch = EffectBatch(items=[_item(e) for e in effects])
        try:
            outcomes = {i: o.error for i, o in enumerate(await carry_out_effects(batch))}
        except ActivityError as err:
            # The batch failed as a whole (its last attempt was cut short): what its last
            # heartbeat says was done stands, everything else is reported failed.
            cut = err.cause if isinstance(err.cause, TimeoutError) else None
            done = batch.done_in(cut.last_heartbeat_details if cut else ())
            lost = str(err.cause or err)
            outcomes = {i: done[i].error if i in done else lost for i in range(len(effects))}
        return [
            None if outcomes[i] is None else f"{type(e).__name__} failed: {outcomes[i]}"
            for i, e in enumerate(effects)
        ]

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
        # Versions, notices and postings are carried out in one batch (``_attempt_batch``).
        if isinstance(effect, StartRequest):
            self._consult_handles[effect.inp.request_id] = await workflow.start_child_workflow(
                ConsultationRequest.run,
                self._with_keys(effect.inp),
                id=effect.inp.request_id,
                static_summary=(
                    f"Xin ý kiến chỉ đạo / Direction: {effect.inp.question}"[:400]
                    if effect.inp.question
                    else f"Lấy ý kiến / Consultation: {effect.inp.body_label}"
                ),
            )
        elif isinstance(effect, ForwardReply):
            handle = self._consult_handles.pop(effect.request_id, None)
            if handle is not None and not handle.done():
                await handle.signal(ConsultationRequest.replied)
        elif isinstance(effect, CancelRequest):
            handle = self._consult_handles.pop(effect.request_id, None)
            if handle is not None and not handle.done():
                handle.cancel()
                # Nobody awaits a withdrawn request: read its outcome so asyncio does not
                # log "exception was never retrieved" when it ends cancelled.
                handle.add_done_callback(_retrieve_outcome)
        elif isinstance(effect, StartLedger):
            await workflow.start_child_workflow(
                CommentLedger.run,
                self._with_keys(effect.inp),
                id=effect.inp.ledger_id,
                static_summary="Sổ góp ý / Comment ledger",
            )
            await self._public_intake(opening=True)
        elif isinstance(effect, SignalLedger):
            await workflow.get_external_workflow_handle(effect.ledger_id).signal(effect.signal)
            await self._public_intake(
                opening=effect.signal == "reopen", counting=effect.signal == "close"
            )
        elif isinstance(effect, StoreAudit):
            export = AuditExport(
                case_id=self._inp.case_id, lines=export_lines(self._inp.case_id, self._audit)
            )
            ref = await store_audit_export(export)
            self._add_document(ref, SYSTEM_ACTOR, "Nhật ký xử lý hồ sơ / Audit trail")
        elif isinstance(effect, StartMonitoring):
            await self._start_monitoring(effect.inp)
        elif isinstance(effect, CountComments):
            await self._count_comments(effect)
        elif isinstance(effect, CheckSignature):
            await self._check_signature(effect.check)
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

    async def _public_intake(self, *, opening: bool, counting: bool = False) -> None:
        """The public portal takes comments while the ledger does: opened and closed with it,
        and the exact counts recorded at each close (``public_records/``). At the close of a
        period (``counting``) that took public comments the case asks the ledger again: a
        ledger that counts them holds the synthesis from its close until it has counted
        them."""
        if not workflow.patched(PUBLIC_INTAKE_PATCH):
            return
        if not opening:
            self._public_comments = await close_public_intake(self._inp.case_id)
            received = self._public_comments.received
            if counting and received and self._consults.ledger_id is not None:
                count = await count_open_comments(self._consults.ledger_id)
                self._consults.comments_pending = count > 0
            return
        deadline = self._deadline
        closes = deadline.due_legal.date() if deadline and deadline.stage == self._stage else None
        await open_public_intake(
            IntakeOpening(
                case_id=self._inp.case_id,
                title=self._inp.title,
                agency=self._inp.drafting_agency_name,
                affected_groups=self._inp.affected_groups,
                summary=self._inp.plain_summary,
                closes_on=closes,
            )
        )

    async def _check_signature(self, check: SignedDocumentCheck) -> None:
        """A signed document that does not hold up when checked again flags the case for
        ops (the trail, the status, a notice); the decision stands."""
        found = await check_signed_document(check)
        if not found.problems:
            return
        what = "; ".join(found.problems)
        self._signature_problems.append(what)
        self._append_audit(
            SYSTEM_ACTOR, SYSTEM_ACTOR, "signature_flagged", self._stage, self._stage,
            note=what, document=check.document_sha256,
        )  # fmt: skip
        workflow.metric_meter().create_counter(
            "legisflow_signatures_flagged", "Signed documents flagged after acceptance"
        ).add(1, {"type": self._def.doc_type})
        to = self._holders(self._def.operator_role)
        if to:
            self._effects.append(
                notifications.signature_flagged(
                    self._header(), key=self._notice_key("signature_flagged"), to=to, what=what
                )
            )
        self._set_details()

    def _with_keys(self, inp: KeyedInput) -> KeyedInput:
        """A child's input with the sign-in keys this case trusts and its operators:
        decisions on the child are proven to the same keys, and the same operators may
        rotate them or apply a new calendar to it."""
        operators = [a.id for a in self._assignments.get(self._def.operator_role, [])]
        return inp.model_copy(
            update={"trusted_keys": list(self._proofs.keys.values()), "operators": operators}
        )

    async def _count_comments(self, effect: CountComments) -> None:
        """Whether comments lack a disposition, as the ledger itself says."""
        ledger = self._consults.ledger_id
        if ledger is None:
            return
        count = await count_open_comments(ledger)
        self._consults.comments_pending = count > 0
        # Counts differ in the normal course (a comment arrives while the ledger's signal is on
        # its way); only a claim that would have turned the guard the other way is recorded.
        if (count > 0) != (effect.claimed > 0):
            self._append_audit(
                SYSTEM_ACTOR,
                SYSTEM_ACTOR,
                "signal_not_confirmed",
                self._stage,
                self._stage,
                note=f"comments_open said {effect.claimed}, the comment ledger holds {count} "
                "without a disposition: the ledger's count is used",
            )
        self._set_details()

    async def _start_monitoring(self, inp: MonitoringInput) -> None:
        doc = inp.document
        try:
            await workflow.start_child_workflow(
                DocumentMonitoring.run,
                self._with_keys(inp),
                id=inp.monitoring_id,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                # Its LegalStage comes from its own procedure, which it reads as it starts.
                search_attributes=TypedSearchAttributes(
                    [
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


def _item(effect: Batched) -> EffectItem:
    if isinstance(effect, DocumentVersion):
        return EffectItem(version=effect)
    if isinstance(effect, Notification):
        return EffectItem(notification=effect)
    return EffectItem(publication=effect)


def _retrieve_outcome(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
