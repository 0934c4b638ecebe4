"""What one case (``LegislativeProcess``) holds, and the bookkeeping every part of it uses:
the audit trail, document versions, notice keys and recipients, the rules' view of now.

Workflow code (deterministic). ``CaseState`` only declares the state: the workflow's
``__init__`` sets it. ``CaseEffects`` (carrying out side effects) and ``CaseViews`` (queries
and visibility) build on it, and ``LegislativeProcess`` on both.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from cryptography import x509

    from models import notifications
    from models.actors import ActorRef
    from models.authorship import ProofLedger
    from models.calendar import LegalCalendar
    from models.case import AuditEntry, CalendarSettings, CaseInput
    from models.contested_issues import ContestedIssue, open_issues
    from models.definition import Body, ProcessDefinition
    from models.delegation import Delegation
    from models.deliveries import Recipient
    from models.documents import DocumentRef, DocumentVersion
    from models.interests import Declaration
    from models.legal_time import LegalClock, StageDeadline
    from models.machine import ProcessMachine
    from models.public_consultation import IntakeCounts
    from models.rules import RuleContext
    from models.signature_evidence import SignedBy
    from workflows.drafting.consultation_request import ConsultationRequest
    from workflows.drafting.consultations import Consultations
    from workflows.drafting.effects import Effect
    from workflows.legal_days import stage_deadline


class CaseState:
    """The state of one case, set by ``LegislativeProcess.__init__``."""

    _inp: CaseInput
    #: The sign-in keys the case trusts and the proofs it has accepted.
    _proofs: ProofLedger
    #: Deputies named to sign for a role's holder (ký thay, KT.), in the order accepted.
    _delegations: list[Delegation]
    #: Declarations of interest (kê khai xung đột lợi ích), in the order accepted.
    _declarations: list[Declaration]
    #: Each role holder's direct superior, from the directory at the case's start.
    _superiors: dict[str, ActorRef]
    #: Whether a person must declare before their first decision (cases since the patch).
    _declaration_required: bool
    #: Whether a return or a rejection must say why (cases since ``NOTE_REQUIRED_PATCH``).
    _notes_required: bool
    #: Whether AwaitingRoles is kept current (cases since ``AWAITING_ROLES_PATCH``).
    _awaiting_shown: bool
    _def: ProcessDefinition
    _machine: ProcessMachine
    _assignments: dict[str, list[ActorRef]]
    _calendar: LegalCalendar
    #: The calendar settings the case counts on now (its start's, or a newer one applied).
    _calendar_settings: CalendarSettings
    _calendar_seq: int
    _clock: LegalClock
    _stage: str
    _entered: dict[str, datetime]
    _entered_by: str | None
    _stage_seq: int
    _overdue: bool
    _timer_done: set[str]
    _audit: list[AuditEntry]
    _documents: list[DocumentVersion]
    #: Side effects waiting to be carried out by the main loop, in order.
    _effects: list[Effect]
    _notice_seq: int
    _deadline: StageDeadline | None
    _failed_effects: list[str]
    _simplified: bool
    _consults: Consultations
    _publish_seq: int
    _consult_handles: dict[str, workflow.ChildWorkflowHandle[ConsultationRequest, bool]]
    #: Issues sent up for direction, in order raised (number n at index n-1).
    _issues: list[ContestedIssue]
    #: Whether issues can be sent up (cases since ``DIRECTIONS_PATCH``).
    _issues_enabled: bool
    #: The roots a signed document must chain to (pinned at start; empty: not checked).
    _signature_roots: list[x509.Certificate]
    #: The digital signatures accepted, in order.
    _signatures: list[SignedBy]
    #: What the check of a signed document after acceptance found wrong (flags for ops).
    _signature_problems: list[str]
    #: The portal's comments as counted at the last close of its intake (None: not yet).
    _public_comments: IntakeCounts | None

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

    def _compute_deadline(self, stage: str) -> StageDeadline | None:
        return stage_deadline(
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
            delegations=tuple(self._delegations),
            declarations=tuple(self._declarations),
            declaration_required=self._declaration_required,
            notes_required=self._notes_required,
            open_issues=open_issues(self._issues),
            signature_roots=self._signature_roots,
            case_id=self._inp.case_id,
        )

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
