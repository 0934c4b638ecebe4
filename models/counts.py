"""What the monitoring of a document counts (thống kê theo dõi thi hành): citizens' feedback
received, answered, forwarded and late, legality checks by outcome, events recorded. The
procedures after issuance name these fields for the stages that add to them."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Counts(BaseModel):
    """What happened in a period (or in total)."""

    feedback_received: int = 0
    #: Cases opened under another agency because one was forwarded there.
    feedback_forwarded_in: int = 0
    feedback_answered: int = 0
    feedback_answered_late: int = 0
    feedback_forwarded: int = 0
    feedback_forwarded_late: int = 0
    feedback_breaches: int = 0
    amendments_proposed: int = 0
    checks_opened: int = 0
    checks_clean: int = 0
    checks_form_errors: int = 0
    checks_unlawful: int = 0
    checks_handled: int = 0
    checks_escalated: int = 0
    events: dict[str, int] = Field(default_factory=dict)

    def add(self, field: str, n: int = 1) -> None:
        setattr(self, field, getattr(self, field) + n)
