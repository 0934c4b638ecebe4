"""A change of the official calendar sent to a running case (áp dụng lịch nghỉ mới), and what
it moved: the open deadlines it affects are counted again on the new calendar.

A deadline that had already passed when the announcement arrived is not reopened: the case
stays overdue (the breach was real on the calendar then in force), and the report says what
the new calendar would have given, so a person can decide. Pure code, shared by the Query
that previews a change and the Update that makes it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from models.authorship import Signed
from models.legal_time import StageDeadline
from models.official_calendar import OfficialCalendar


class CalendarChange(Signed):
    """The new official calendar, why it changed, and who sends it."""

    model_config = ConfigDict(frozen=True)

    official: OfficialCalendar
    #: The announcement that changed it (its number, date and issuer), for the audit trail.
    announcement: str = Field(min_length=5, max_length=500)
    operator: str = Field(min_length=1, max_length=128)


class MovedDeadline(BaseModel):
    """One deadline the change moves (or would have moved, had it not passed)."""

    model_config = ConfigDict(frozen=True)

    name: str
    old_due: date
    new_due: date
    old_at: datetime
    new_at: datetime
    explanation: str
    #: It had passed before the change arrived: kept as it was, not reopened.
    passed: bool

    def describe(self) -> str:
        if self.passed:
            return (
                f"{self.name}: đã quá hạn {self.old_due:%d/%m/%Y} trước khi lịch thay đổi, giữ "
                f"nguyên (lịch mới cho {self.new_due:%d/%m/%Y}) / had passed on "
                f"{self.old_due:%Y-%m-%d}, kept (the new calendar gives {self.new_due:%Y-%m-%d})"
            )
        return (
            f"{self.name}: {self.old_due:%d/%m/%Y} → {self.new_due:%d/%m/%Y} ({self.explanation})"
        )


class CalendarApplied(BaseModel):
    """What a case did with a calendar change (or would do, in a preview)."""

    case_id: str
    moved: list[MovedDeadline] = Field(default_factory=list)


def reproject(
    deadlines: Mapping[str, StageDeadline],
    recount: Callable[[StageDeadline], StageDeadline],
    now: datetime,
) -> tuple[dict[str, StageDeadline], list[MovedDeadline]]:
    """Count ``deadlines`` again (``recount``): the ones that move and are still open, and
    what moved (including the passed ones, which stay as they were)."""
    updated: dict[str, StageDeadline] = {}
    moved: list[MovedDeadline] = []
    for name, old in deadlines.items():
        new = recount(old)
        if (new.counted.due, new.due, new.remind_at) == (old.counted.due, old.due, old.remind_at):
            continue
        passed = old.due <= now
        moved.append(
            MovedDeadline(
                name=name,
                old_due=old.counted.due,
                new_due=new.counted.due,
                old_at=old.due,
                new_at=new.due,
                explanation=new.explanation_vi(),
                passed=passed,
            )
        )
        if not passed:
            updated[name] = new
    return updated, moved


def audit_note(change: CalendarChange, moved: list[MovedDeadline]) -> str:
    """The trail entry of an applied change: what moved, from when to when, and why."""
    listed = "; ".join(m.describe() for m in moved) or "không hạn nào thay đổi / nothing moved"
    return f"{change.announcement} — {listed}"
