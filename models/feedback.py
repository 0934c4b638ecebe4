"""Citizens' feedback on a document in force (kiến nghị, phản ánh về văn bản).

A feedback case is received by the agency that drafted the document. It is classified
(phân loại); if it lies outside the agency's competence it must be forwarded to the
competent agency within 2 working days (whose own case then starts), otherwise answered
within 15 days ([S] Công điện 89/CĐ-TTg 2025). Its stages, actions and time limits are the
feedback procedure of ``models/post_issuance.yaml``. A well-founded recommendation can
propose an amendment: a new drafting case, linked.

The citizen's name and text live in the document store; workflows carry the reference only.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from models.authorship import KeysPinned, Signed
from models.case import DeadlineView
from models.choices import Category
from models.documents import DocumentRef
from models.interests import Declaration, DeclaresInterest
from models.links import CaseLink
from models.post_issuance import AgencyPeople, CaseTime, DocumentInfo, FeedbackRules
from models.steps import TrailStep

#: A feedback text longer than this is refused (attach a document instead).
MAX_FEEDBACK_CHARS = 20_000


class FeedbackSubmission(BaseModel):
    """What the client sends to the monitoring workflow (``submit_feedback`` Update)."""

    model_config = ConfigDict(frozen=True)
    #: The stored submission (who, channel, text) in the document store.
    body: DocumentRef
    chars: int = Field(ge=1, le=MAX_FEEDBACK_CHARS)
    channel: str = Field(default="portal", min_length=1, max_length=64)


class DueDate(BaseModel):
    """A time limit running from the moment a case was received, as its receipt shows it."""

    label: str
    due: date


class FeedbackReceipt(BaseModel):
    feedback_id: str
    number: int
    agency: str
    #: The time limits the agency must meet, in the procedure's order.
    due: list[DueDate]


class FeedbackInput(KeysPinned):
    """Everything a feedback case needs, decided by whoever starts it."""

    feedback_id: str
    number: int
    monitoring_id: str
    document: DocumentInfo
    #: The competent agency handling this case.
    agency: AgencyPeople
    #: Every agency of the directory (id → name) and those with someone to answer.
    agencies: dict[str, str]
    staffed: list[str]
    body: DocumentRef
    received_at: datetime
    rules: FeedbackRules
    time: CaseTime
    links: list[CaseLink] = Field(default_factory=list)
    #: How many times the feedback was forwarded before this case (0: received here).
    hops: int = 0

    @property
    def may_propose_amendment(self) -> bool:
        """Only the agency that drafted the document proposes amending it."""
        return self.agency.id == self.document.drafting_agency


class ClassifyRequest(Signed, DeclaresInterest):
    """Phân loại: the case is within the agency's competence; what kind it is."""

    actor: str = Field(min_length=1, max_length=128)
    category: Category
    note: str | None = Field(default=None, max_length=4000)


class ForwardRequest(Signed, DeclaresInterest):
    """Chuyển đơn: the case is outside the agency's competence; which agency is competent."""

    actor: str = Field(min_length=1, max_length=128)
    agency: str = Field(min_length=1, max_length=128)
    note: str | None = Field(default=None, max_length=4000)


class AnswerRequest(Signed, DeclaresInterest):
    """Trả lời: the answer's text is in the document store."""

    actor: str = Field(min_length=1, max_length=128)
    answer: DocumentRef
    summary: str | None = Field(default=None, max_length=2000)


class AmendmentProposal(Signed, DeclaresInterest):
    """Đề xuất sửa đổi: the recommendation is well founded; the document should change."""

    actor: str = Field(min_length=1, max_length=128)
    reason: str = Field(min_length=5, max_length=4000)


class FeedbackStatus(BaseModel):
    """``legisflow feedback status`` and the case's result."""

    id: str
    number: int
    monitoring_id: str
    document_id: str
    document_title: str
    agency: str
    agency_name: str
    stage: str
    stage_label: str
    final: bool
    category: Category | None
    overdue: bool
    #: Forwarded or answered after its deadline.
    late: bool
    received_at: datetime
    received_legal_date: date
    deadlines: list[DeadlineView]
    answerers: list[str]
    #: The feedback's stored text (its author's name and contact stay in the store, never
    #: in Temporal); None in answers from workers older than this field.
    body: DocumentRef | None = None
    answered_by: str | None = None
    answer: DocumentRef | None = None
    forwarded_to: str | None = None
    amendment: CaseLink | None = None
    links: list[CaseLink] = Field(default_factory=list)
    trail: list[TrailStep] = Field(default_factory=list)
    #: Declarations of interest (kê khai xung đột lợi ích), in the order made.
    declarations: list[Declaration] = Field(default_factory=list)


class FeedbackNotice(BaseModel):
    """What a feedback case tells its monitoring workflow when it changes (a signal)."""

    feedback_id: str
    agency: str
    #: The stage it is in now (a stage of the feedback procedure).
    stage: str
    overdue: bool = False
    late: bool = False
    #: Set when the case was forwarded: the competent agency's new case.
    forwarded_to: str | None = None
    at: datetime
