"""A case (hồ sơ) of one document: what starts it, what people send, what it reports.

These are the workflow's inputs, Update payloads and query results. They are plain
pydantic models so the CLI, tests and a future web front end share one shape.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.actors import ActorRef
from models.authorship import KeysPinned, Signed
from models.calendar import LegalCalendar
from models.contested_issues import ContestedIssue
from models.definition import ProcessDefinition
from models.delegation import Delegation
from models.documents import DocumentRef, DocumentVersion
from models.interests import Declaration, DeclaresInterest
from models.legal_time import VIETNAM_TZ, StageDeadline
from models.links import CaseLink
from models.official_calendar import CALENDAR_FILE, OfficialCalendar, load_calendar
from models.public_consultation import IntakeCounts
from models.shared_definitions import shared_definition
from models.signature_evidence import MAX_CMS_BYTES, SignatureEvidence, SignedBy


class CalendarSettings(BaseModel):
    """The calendar a case counts its legal days on, fixed at start and changed only by an
    explicit Update: the official calendar (lịch nghỉ chính thức) and a deployment's own day
    swaps (hoán đổi ngày làm việc)."""

    model_config = ConfigDict(frozen=True)
    extra_days_off: dict[date, str] = Field(default_factory=dict)
    extra_working_days: tuple[date, ...] = ()
    #: None only in cases started before the calendar was data: they keep counting as they
    #: did (holidays.VN, deadlines at the hour of entry), so their histories replay.
    official: OfficialCalendar | None = None

    def since(self, day: date) -> CalendarSettings:
        """These settings without the official calendar's days before ``day``
        (``OfficialCalendar.since``)."""
        if self.official is None:
            return self
        trimmed = self.official.since(day)
        return self if trimmed is self.official else self.model_copy(update={"official": trimmed})

    def legal_calendar(self) -> LegalCalendar:
        return LegalCalendar(
            extra_days_off=self.extra_days_off,
            extra_working_days=self.extra_working_days,
            official=self.official,
        )

    @classmethod
    def current(cls, path: Path | None = None) -> CalendarSettings:
        """The settings a new case starts with: the official calendar in ``path`` (default:
        the shipped copy), from today on (its deadlines count from today)."""
        today = datetime.now(VIETNAM_TZ).date()
        return cls(official=load_calendar(path or CALENDAR_FILE).since(today))


class SimplifiedDecision(BaseModel):
    """The decision to use the simplified procedure (quyết định áp dụng trình tự rút gọn):
    who decided it, and why. It becomes part of the audit trail."""

    model_config = ConfigDict(frozen=True)
    decided_by: str
    reason: str = Field(min_length=5, max_length=2000)


class CaseInput(KeysPinned):
    """Everything a case needs, resolved before it starts, so the history records it."""

    case_id: str
    title: str = Field(min_length=3, max_length=500)
    definition: ProcessDefinition
    drafting_agency: str
    drafting_agency_name: str
    started_by: str
    assignments: dict[str, list[ActorRef]]
    legal_day_seconds: float = Field(default=86400.0, gt=0)
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)
    simplified: SimplifiedDecision | None = None
    #: The comment ledger continues as new past this many events (tests set it low).
    comment_ledger_events: int = Field(default=4000, ge=100, le=40000)
    #: Other cases this one is linked to (the document an amendment amends).
    links: list[CaseLink] = Field(default_factory=list)
    #: Each role holder's direct superior (thủ trưởng trực tiếp) from the directory: who takes
    #: a task when its holder stands aside, and who may reassign an absent holder's tasks.
    superiors: dict[str, ActorRef] = Field(default_factory=dict)
    #: The roots a signed document must chain to (PEM, pinned for the deployment at start);
    #: empty: the case does not check signatures.
    signature_roots: list[str] = Field(default_factory=list)
    #: The groups the draft affects directly (đối tượng chịu tác động trực tiếp), named by
    #: the drafter and shown on the public portal.
    affected_groups: list[str] = Field(default_factory=list, max_length=20)
    #: The drafter's plain-language summary of the draft, for the public.
    plain_summary: str = Field(default="", max_length=4000)

    @field_validator("definition")
    @classmethod
    def _one_copy_per_worker(cls, definition: ProcessDefinition) -> ProcessDefinition:
        # 1,000 open cases under one procedure hold one copy of it, not 1,000.
        return shared_definition(definition)


class ActionRequest(Signed, DeclaresInterest):
    """A person's decision, sent as the ``act`` Update."""

    action: str = Field(min_length=1, max_length=64)
    actor: str = Field(min_length=1, max_length=128)
    note: str | None = Field(default=None, max_length=4000)
    document: DocumentRef | None = None
    #: Signing or acting for another (KT. / TL. / Q.): whose authority is exercised.
    on_behalf_of: str | None = Field(default=None, max_length=128)
    #: The signature of ``document`` when the action requires one (``signatures.pdf``).
    signature: SignatureEvidence | None = None
    #: The person's signature of the decision's statement (CMS, detached, base64) when the
    #: action requires a signed approval (``models.signature_evidence.approval_statement``).
    approval: str | None = Field(default=None, max_length=MAX_CMS_BYTES * 4 // 3 + 4)


class MigrationRequest(Signed):
    """Move a case to another regime's definition (an authorised operator's act)."""

    definition: ProcessDefinition
    assignments: dict[str, list[ActorRef]]
    operator: str = Field(min_length=1, max_length=128)
    reason: str = Field(min_length=5, max_length=2000)
    #: The regime the operator planned the move from (their dry run): refused if the case
    #: has moved since (two migrations at once, one wins). Required by the validator.
    source_key: str | None = Field(default=None, max_length=64)
    #: ``models.migration.definition_digest`` of ``definition``: one the deployment ships.
    definition_digest: str | None = Field(default=None, max_length=64)


class ReplyRequest(Signed, DeclaresInterest):
    """A consulted body's written opinion (ý kiến bằng văn bản), sent as the ``reply``
    Update; ``role`` says on behalf of which consulted body when a person holds several."""

    actor: str = Field(min_length=1, max_length=128)
    role: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, max_length=4000)
    document: DocumentRef | None = None


class ConsultView(BaseModel):
    """A request for a written opinion in the current stage, and where it stands."""

    role: str
    label: str
    mandatory: bool
    due: datetime
    due_legal_date: date
    basis: str
    holders: list[str]
    replied_by: str | None = None
    replied_at: datetime | None = None
    overdue: bool = False
    #: When the request went out (None in cases started before it was kept).
    sent_at: datetime | None = None

    @property
    def settled(self) -> bool:
        """Replied, or its reply deadline passed: it no longer holds the stage up."""
        return self.replied_by is not None or self.overdue


class AuditEntry(BaseModel):
    """One line of the audit trail (nhật ký xử lý)."""

    seq: int
    at: datetime
    legal_date: date
    actor: str
    role: str
    action: str
    from_stage: str | None
    to_stage: str
    note: str | None = None
    document_sha256: str | None = None
    on_behalf_of: str | None = None


class ActionResult(BaseModel):
    """What the ``act`` Update returns."""

    action: str
    from_stage: str
    stage: str
    stage_label: str
    audit_seq: int
    document_version: int | None = None


class AllowedAction(BaseModel):
    """An action that can be taken now, into which stage, by whom (four eyes applied)."""

    action: str
    label: str
    label_en: str
    to: str
    role: str
    actors: list[str]
    requires_document: bool
    #: A note saying why is required (a return, a rejection).
    requires_note: bool = False
    #: The document must be a PDF signed by the person acting (the case checks signatures).
    requires_signature: bool = False
    #: The person must sign the decision's statement (the case checks signatures).
    requires_approval: bool = False


class BlockedAction(BaseModel):
    """An action defined from this stage whose guard does not hold yet."""

    action: str
    to: str
    reason: str


class DeadlineView(BaseModel):
    """A deadline as shown to people: when, on which legal basis, and how it was counted."""

    name: str
    stage: str
    kind: str
    days: int
    unit: str
    due: datetime
    due_legal_date: date
    basis: str
    confirmed: bool
    explanation: str
    explanation_vi: str
    overdue: bool = False


def deadline_view(name: str, dl: StageDeadline, overdue: bool) -> DeadlineView:
    """A deadline as people see it, with its basis and how it was counted."""
    return DeadlineView(
        name=name,
        stage=dl.stage,
        kind=dl.kind.value,
        days=dl.rule.days,
        unit=dl.rule.unit.value,
        due=dl.due,
        due_legal_date=dl.counted.due,
        basis=dl.rule.basis,
        confirmed=dl.rule.confirmed,
        explanation=dl.explanation(),
        explanation_vi=dl.explanation_vi(),
        overdue=overdue,
    )


class StageView(BaseModel):
    """Where a case is, and nothing else: the cheap query for a UI or script that polls."""

    stage: str
    stage_label: str
    stage_label_en: str
    final: bool
    overdue: bool
    pending_effects: int


class CaseStatus(BaseModel):
    """The stable shape of ``legisflow status --json`` (documented in README)."""

    id: str
    type: str
    regime: str
    title: str
    drafting_agency: str
    stage: str
    stage_label: str
    stage_label_en: str
    final: bool
    overdue: bool
    simplified: bool = False
    allowed: list[AllowedAction]
    blocked: list[BlockedAction]
    deadlines: list[DeadlineView]
    consultations: list[ConsultView] = Field(default_factory=list)
    #: Distinct public comments lacking a disposition (``legisflow comments`` for detail).
    comments_pending: bool = False
    #: Who holds each role in this case.
    roles: dict[str, list[str]] = Field(default_factory=dict)
    documents: list[DocumentVersion]
    audit_entries: int
    started_at: datetime
    #: Today on the case's legal clock (computed by the client at query time).
    legal_today: date
    legal_day_seconds: float = 86400.0
    #: Document versions and notifications queued or in flight (0 when all are done).
    pending_effects: int = 0
    #: Linked cases (the document this draft amends).
    links: list[CaseLink] = Field(default_factory=list)
    #: Deputies named to sign for a role's holder (KT.), past and in force.
    delegations: list[Delegation] = Field(default_factory=list)
    #: Declarations of interest (kê khai xung đột lợi ích), in the order made.
    declarations: list[Declaration] = Field(default_factory=list)
    #: Issues sent up for direction (xin ý kiến chỉ đạo), settled or not, in order raised.
    issues: list[ContestedIssue] = Field(default_factory=list)
    #: Who may send an issue up now (empty where the procedure or the case does not allow it).
    issue_raisers: list[str] = Field(default_factory=list)
    #: The digital signatures the case accepted (chữ ký số), in order.
    signatures: list[SignedBy] = Field(default_factory=list)
    #: Whether the case checks signatures (roots were pinned when it started).
    checks_signatures: bool = False
    #: What the check of an accepted signed document found wrong since (flags for ops).
    signature_problems: list[str] = Field(default_factory=list)
    #: The public's comments through the portal, as counted when its intake last closed.
    public_comments: IntakeCounts | None = None


class CaseResult(BaseModel):
    """What the workflow returns when the case reaches a final stage."""

    case_id: str
    stage: str
    audit: list[AuditEntry]
    documents: list[DocumentVersion]
