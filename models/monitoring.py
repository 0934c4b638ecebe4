"""Monitoring a document in force (theo dõi tình hình thi hành văn bản).

The monitoring of one document can run for years: its implementation plan (kế hoạch triển
khai) with deadlines, information gathering and inspections recorded as events, the
citizens' feedback cases it opens, the legality checks that concern it, the amendments they
start, and a yearly report on the legal cycle (post_issuance.yaml). Its state is compact so
it travels across continue-as-new: counts, the open feedback cases, links, report references.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from models.actors import ActorRef
from models.authorship import KeysPinned, Signed
from models.choices import EventKind, Handling, Outcome
from models.counts import Counts
from models.definition import Deadline
from models.documents import DocumentRef
from models.links import CaseLink
from models.post_issuance import CaseTime, DocumentInfo, PostIssuancePeople, PostIssuanceRules
from models.steps import TrailStep


class EventRequest(Signed):
    """A monitoring officer records what was done (``monitor record``)."""

    model_config = ConfigDict(frozen=True)
    actor: str = Field(min_length=1, max_length=128)
    kind: EventKind
    #: For ``plan_done``: which plan item.
    item: str | None = Field(default=None, max_length=64)
    note: str = Field(min_length=3, max_length=4000)
    document: DocumentRef | None = None


class MonitoringEvent(BaseModel):
    seq: int
    kind: EventKind
    at: datetime
    legal_date: date
    actor: str
    note: str
    item: str | None = None
    document_sha256: str | None = None


class PlanItem(BaseModel):
    """One task of the implementation plan, with its deadline counted from entry into force."""

    item: str
    label: str
    label_en: str
    rule: Deadline
    due: datetime
    due_legal_date: date
    remind_at: datetime | None
    explanation: str
    reminded: bool = False
    overdue: bool = False
    done_at: datetime | None = None
    done_by: str | None = None


class OpenFeedback(BaseModel):
    id: str
    agency: str
    stage: str
    received: date
    overdue: bool = False


class CheckRecord(BaseModel):
    id: str
    stage: str
    outcome: Outcome | None = None
    handling: Handling | None = None
    overdue: bool = False
    findings: str | None = None


class Period(BaseModel):
    """A reporting period: from the entry into force or the day after the last cut-off."""

    index: int
    start: date
    cutoff: date
    counts: Counts = Field(default_factory=Counts)
    events: list[MonitoringEvent] = Field(default_factory=list)
    #: Checks concluded or handled in the period.
    checks: dict[str, CheckRecord] = Field(default_factory=dict)
    links: list[CaseLink] = Field(default_factory=list)


class ReportRecord(BaseModel):
    period: int
    start: date
    cutoff: date
    kind: str  # yearly | interim | final
    at: datetime
    documents: list[DocumentRef]


class MonitoringState(BaseModel):
    """Carried from one run to the next (continue-as-new)."""

    runs: int = 1
    #: Events in each run already finished.
    run_events: list[int] = Field(default_factory=list)
    rules: PostIssuanceRules
    people: PostIssuancePeople
    #: The document's status: a stage of the monitoring procedure (set when the run starts).
    status: str
    status_note: str | None = None
    plan: list[PlanItem]
    period: Period
    totals: Counts = Field(default_factory=Counts)
    next_feedback: int = 1
    open_feedback: dict[str, OpenFeedback] = Field(default_factory=dict)
    checks: dict[str, CheckRecord] = Field(default_factory=dict)
    links: list[CaseLink] = Field(default_factory=list)
    reports: list[ReportRecord] = Field(default_factory=list)
    event_seq: int = 0
    notice_seq: int = 0
    #: Feedback cases that closed before this workflow heard they existed (a forwarded case
    #: answered before the forward was reported): counted once, not reopened.
    closed_early: list[str] = Field(default_factory=list)
    #: Proofs of authorship accepted and not yet expired (each is usable once).
    used_proofs: dict[str, datetime] = Field(default_factory=dict)
    #: Each move to the sign-in service's new key (``rotate_keys``).
    key_rotations: list[TrailStep] = Field(default_factory=list)
    #: Each official calendar applied (``legisflow calendar apply``): what moved and why.
    calendar_changes: list[TrailStep] = Field(default_factory=list)


class MonitoringInput(KeysPinned):
    monitoring_id: str
    document: DocumentInfo
    #: The role holders the drafting case recorded (the issuer's signer, …).
    case_assignments: dict[str, list[ActorRef]]
    in_force_at: datetime
    time: CaseTime
    #: The role of ``case_assignments`` whose holders operate the system (may rotate keys).
    operator_role: str = "ops"
    #: Continue as new past this many events (Temporal warns at 10,240; tests set it low).
    continue_after_events: int = Field(default=4000, ge=100, le=40000)
    state: MonitoringState | None = None


class ReportNow(Signed):
    """An interim report on demand (``monitor report``)."""

    actor: str = Field(min_length=1, max_length=128)


class StatusNotice(BaseModel):
    """From a legality check: a handling that changes the document's status (ngưng hiệu
    lực, bãi bỏ), an action of the monitoring procedure."""

    action: str
    check_id: str
    actor: str
    at: datetime
    note: str | None = None


class MonitoringStatus(BaseModel):
    """``legisflow monitor DOC``."""

    id: str
    document: DocumentInfo
    #: A stage of the monitoring procedure (in force, suspended, annulled).
    status: str
    status_label: str = ""
    #: The monitoring has ended (the document was annulled).
    final: bool = False
    status_note: str | None
    in_force_at: datetime
    legal_day_seconds: float
    #: The document case's legal clock and calendar.
    time: CaseTime
    plan: list[PlanItem]
    period: Period
    totals: Counts
    open_feedback: list[OpenFeedback]
    open_feedback_count: int
    checks: list[CheckRecord]
    links: list[CaseLink]
    reports: list[ReportRecord]
    next_report: date
    monitoring_officers: list[str]
    feedback_answerers: list[str]
    runs: int
    run_events: list[int]
    history_length: int
    ready: bool = True
    calendar_changes: list[TrailStep] = Field(default_factory=list)
    #: Each move to the sign-in service's new key (``rotate_keys``): who, when, why.
    key_rotations: list[TrailStep] = Field(default_factory=list)


class MonitoringReport(BaseModel):
    """What the report activity renders (Word and Markdown)."""

    monitoring_id: str
    document: DocumentInfo
    kind: str
    period: Period
    totals: Counts
    open_feedback: list[OpenFeedback]
    plan: list[PlanItem]
    checks: list[CheckRecord]
    links: list[CaseLink]
    status: str
    made_on: date
