"""How a case shows itself: the queries people and scripts read (status, allowed actions,
audit trail, deadlines, definition), and what ops see in Temporal (search attributes and the
current details in the UI).

Workflow code (deterministic). Queries only read; the visibility helpers are called by
``LegislativeProcess`` at the points where its state changes.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from models.awaiting import awaiting_roles
    from models.case import (
        AllowedAction,
        AuditEntry,
        CaseStatus,
        DeadlineView,
        StageView,
        deadline_view,
    )
    from models.contested_issues import current, open_issues, raisers
    from models.definition import DeadlineKind, ProcessDefinition
    from models.rules import allowed_actions, blocked_actions
    from workflows import search_attributes as sa
    from workflows.drafting.case_state import CaseState


class CaseViews(CaseState):
    """Queries and visibility of a case (mixed into ``LegislativeProcess``)."""

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
            delegations=list(self._delegations),
            declarations=list(self._declarations),
            issues=current(self._issues, self._assignments),
            issue_raisers=raisers(
                self._def, self._assignments, enabled=self._issues_enabled,
                final=self._machine.is_final(self._stage),
            ),
            signatures=list(self._signatures),
            checks_signatures=bool(self._signature_roots),
            signature_problems=list(self._signature_problems),
            public_comments=self._public_comments,
        )  # fmt: skip

    @workflow.query
    def signature_roots(self) -> list[str]:
        """The roots a signed document must chain to (PEM), pinned at the case's start."""
        return list(self._inp.signature_roots)

    @workflow.query
    def ledger_state(self) -> str:
        """Its comment ledger: none, open, closed or finished (the ledger asks this)."""
        return self._consults.ledger_state

    @workflow.query
    def stage(self) -> StageView:
        """The current stage only (``status`` computes allowed actions and deadlines too)."""
        stage = self._def.stages[self._stage]
        return StageView(
            stage=self._stage,
            stage_label=stage.label,
            stage_label_en=stage.label_en,
            final=self._machine.is_final(self._stage),
            overdue=self._overdue,
            pending_effects=len(self._effects),
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

    @workflow.query
    def definition(self) -> ProcessDefinition:
        """The definition the case runs under now."""
        return self._def

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
                deadline_view(
                    f"{stage.label} / {stage.label_en}", dl, self._overdue and name == self._stage
                )
            )
        views.sort(key=lambda v: v.stage != self._stage)
        return views

    # ---- visibility (search attributes, current details) ----------------------------------

    def _show_stage(self) -> None:
        """LegalStage, Overdue (not yet) and StageDueAt (a maximum deadline's due time) of the
        stage just entered, in one upsert."""
        updates: list[SearchAttributeUpdate[Any]] = [
            sa.LEGAL_STAGE.value_set(self._stage),
            sa.OVERDUE.value_set(False),
            self._due_value(),
        ]
        if self._awaiting_shown:
            updates.append(self._awaiting_value())
        self._upsert_changed(updates)

    def _show_awaiting(self) -> None:
        """AwaitingRoles again, after the role holders changed (a reassignment)."""
        if self._awaiting_shown:
            self._upsert_changed([self._awaiting_value()])

    def _awaiting_value(self) -> SearchAttributeUpdate[Any]:
        directing = [i.authority_role for i in open_issues(self._issues)]
        roles = awaiting_roles(
            self._def, self._stage, self._simplified, self._assignments, also=directing
        )
        return sa.AWAITING_ROLES.value_set(roles)

    def _show_due(self) -> None:
        """StageDueAt again, after the deadline moved (a new calendar)."""
        self._upsert_changed([self._due_value()])

    def _due_value(self) -> SearchAttributeUpdate[Any]:
        due = (
            self._deadline.due
            if self._deadline and self._deadline.kind is DeadlineKind.MAXIMUM
            else None
        )
        return sa.STAGE_DUE_AT.value_set(due) if due else sa.STAGE_DUE_AT.value_unset()

    def _upsert_changed(self, updates: list[SearchAttributeUpdate[Any]]) -> None:
        # Only what changed, and no command at all if nothing did (the first stage's were set
        # at start): every upsert is an event and a visibility write.
        now = workflow.info().typed_search_attributes
        updates = [u for u in updates if now.get(u.key) != u.value]
        if updates:
            workflow.upsert_search_attributes(updates)

    def _show_overdue(self) -> None:
        workflow.upsert_search_attributes([sa.OVERDUE.value_set(True)])

    def _show_regime(self) -> None:
        workflow.upsert_search_attributes([sa.LEGAL_REGIME.value_set(self._def.regime)])

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
