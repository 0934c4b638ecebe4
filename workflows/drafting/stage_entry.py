"""What a stage change asks to be done (the case's side effects, ``effects.py``): leaving a
stage may close the consultation and generate the synthesis report; entering one computes its
deadline, shows it to ops, opens its written consultations and comment ledger, posts the
draft, tells the people who must act next, and at a final stage exports the audit trail and
starts the document's monitoring. Everything here only queues effects; ``carrying_out.py``
carries them out.

Workflow code (deterministic), mixed into ``LegislativeProcess``.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models import notifications
    from models.definition import GeneratedDocument, Transition
    from models.deliveries import Publication, PublicationChannel
    from models.monitoring import MonitoringInput
    from models.post_issuance import CaseTime, DocumentInfo
    from models.rules import allowed_actions
    from models.synthesis_report import ReportRequest
    from workflows.drafting.case_views import CaseViews
    from workflows.drafting.effects import GenerateReport, StartMonitoring, StoreAudit
    from workflows.legal_days import legal_deadline


class StageEntry(CaseViews):
    """The effects of leaving and entering stages (mixed into ``LegislativeProcess``)."""

    def _leave_stage(self, t: Transition, actor: str) -> None:
        """What taking transition ``t`` asks for beyond the stage it leads to."""
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
                    actor=actor,
                    label=f"{t.label} / {t.label_en}",
                )
            )

    def _enter_stage(self, *, consult: bool = True) -> None:
        """Bookkeeping on every stage entry: deadline, timers, visibility, notifications,
        and the written consultations the stage opens (``consult``)."""
        self._stage_seq += 1
        self._overdue = False
        self._timer_done = set()
        self._deadline = self._compute_deadline(self._stage)
        self._show_stage()
        if consult:
            self._consultation_on_entry()
        self._set_details()
        h = self._header()
        if self._machine.is_final(self._stage):
            if self._def.stages[self._stage].monitor:
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
                    came_back=self._came_back(),
                )
            )

    def _came_back(self) -> str | None:
        """The return or rejection (with its note) that just brought the case here."""
        last = self._audit[-1] if self._audit else None
        if last is None or last.to_stage != self._stage or not last.note:
            return None
        for t in self._def.transitions:
            if t.action == last.action and t.source == last.from_stage and t.requires_note:
                return f"{t.label} — {last.note}"
        return None

    def _consultation_on_entry(self) -> None:
        stage = self._def.stages[self._stage]
        if self._machine.is_final(self._stage):
            self._effects.extend(self._consults.finish())
            self._effects.append(StoreAudit())
            return
        self._effects.extend(
            self._consults.comments(
                collects=stage.comments,
                case_id=self._inp.case_id,
                # Each person once, though they may hold two drafting roles.
                drafters=list(
                    dict.fromkeys(
                        a.id for r in self._drafting_roles() for a in self._assignments.get(r, [])
                    )
                ),
                continue_after=self._inp.comment_ledger_events,
            )
        )
        if stage.publish is not None and self._documents:
            self._effects.append(self._publication(stage.publish))
        # Requests stay open across stages until a transition closes the consultation.
        if not stage.consults and self._consults.has_open_requests:
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
            operator_role=self._def.operator_role,
            in_force_at=workflow.now(),
            time=self._case_time(workflow.now()),
        )

    def _case_time(self, now: datetime) -> CaseTime:
        """The case's clock and calendar, for a child started ``now`` (from today on)."""
        return CaseTime(
            origin=self._clock.origin,
            legal_day_seconds=self._clock.legal_day_seconds,
            calendar=self._calendar_settings.since(self._clock.legal_date(now)),
        )

    def _open_consultations(self) -> None:
        now = workflow.now()
        replies = {
            c.role: legal_deadline(
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
                time=self._case_time(now),
                simplified=self._simplified,
            )
        )
