"""The legality check of an issued document (kiểm tra văn bản quy phạm pháp luật).

A checker (Sở Tư pháp, Cục Kiểm tra VBQPPL of Bộ Tư pháp) opens a check and concludes it:
clean, errors of form to correct, or content found unlawful — what, on which legal basis,
and the handling required (kết luận kiểm tra). The issuer must then handle it (correct,
amend, annul, suspend) by a deadline ([U], post_issuance.yaml); when it does not, the check
escalates to the higher authority, which may suspend or annul the document itself.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.actors import ActorRef
from models.authorship import KeysPinned, Signed
from models.case import DeadlineView
from models.choices import Handling, Outcome
from models.documents import DocumentRef
from models.interests import Declaration, DeclaresInterest
from models.links import CaseLink
from models.post_issuance import CaseTime, CheckRules, DocumentInfo
from models.steps import TrailStep


class CheckInput(KeysPinned):
    check_id: str
    document: DocumentInfo
    monitoring_id: str
    opened_by: str
    checkers: list[ActorRef]
    issuers: list[ActorRef]
    higher_authority: list[ActorRef]
    monitoring_officers: list[ActorRef] = Field(default_factory=list)
    rules: CheckRules
    time: CaseTime
    note: str | None = None


class Conclusion(Signed, DeclaresInterest):
    """Kết luận kiểm tra."""

    model_config = ConfigDict(frozen=True)
    actor: str = Field(min_length=1, max_length=128)
    outcome: Outcome
    #: What is wrong (nội dung sai sót / trái pháp luật).
    findings: str | None = Field(default=None, max_length=8000)
    #: The legal basis it contravenes (căn cứ pháp lý).
    basis: str | None = Field(default=None, max_length=2000)
    #: The handling required of the issuer.
    handling: tuple[Handling, ...] = ()
    note: str | None = Field(default=None, max_length=4000)
    document: DocumentRef | None = None

    @model_validator(mode="after")
    def _complete(self) -> Conclusion:
        if self.outcome is Outcome.CLEAN:
            if self.handling:
                raise ValueError("a clean conclusion requires no handling")
            return self
        missing = [
            name
            for name, value in (
                ("findings (what is wrong)", self.findings),
                ("basis (the legal basis)", self.basis),
            )
            if not (value or "").strip()
        ]
        if not self.handling:
            missing.append("handling (what the issuer must do)")
        if missing:
            raise ValueError(f"a conclusion of {self.outcome.value} needs {', '.join(missing)}")
        return self


class HandlingRequest(Signed, DeclaresInterest):
    """Xử lý văn bản: what the issuer (or, once escalated, the higher authority) did."""

    model_config = ConfigDict(frozen=True)
    actor: str = Field(min_length=1, max_length=128)
    action: Handling
    note: str | None = Field(default=None, max_length=4000)
    document: DocumentRef | None = None


class HandlingRecord(BaseModel):
    actor: str
    action: Handling
    at: datetime
    legal_date: date
    late: bool
    by_higher_authority: bool
    note: str | None = None
    amendment: CaseLink | None = None


class CheckStatus(BaseModel):
    id: str
    document_id: str
    document_title: str
    stage: str
    stage_label: str
    final: bool
    opened_by: str
    opened_at: datetime
    overdue: bool
    conclusion: Conclusion | None = None
    allowed_handlings: list[Handling] = Field(default_factory=list)
    handling: HandlingRecord | None = None
    deadlines: list[DeadlineView] = Field(default_factory=list)
    checkers: list[str] = Field(default_factory=list)
    issuers: list[str] = Field(default_factory=list)
    higher_authority: list[str] = Field(default_factory=list)
    links: list[CaseLink] = Field(default_factory=list)
    trail: list[TrailStep] = Field(default_factory=list)
    #: Declarations of interest (kê khai xung đột lợi ích), in the order made.
    declarations: list[Declaration] = Field(default_factory=list)


class CheckNotice(BaseModel):
    """What a check tells the document's monitoring when it changes (a signal)."""

    check_id: str
    stage: str
    outcome: Outcome | None = None
    handling: Handling | None = None
    overdue: bool = False
    findings: str | None = None
    at: datetime
