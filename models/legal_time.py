"""Legal time (thời hạn pháp lý): when a stage's deadline falls, and why.

A case's legal clock runs ``86400 / legal_day_seconds`` times faster than the wall clock,
counted from the case's origin. In production a legal day is a real day (factor 1); a demo
sets it to a second so a whole life fits in a minute. Deadlines are computed on legal
dates with the legal calendar, then turned back into wall-clock instants for timers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from models.calendar import DeadlineResult, LegalCalendar
from models.definition import Deadline, DeadlineKind, ProcessDefinition

#: Vietnam has one time zone and no daylight saving: UTC+7 (giờ Việt Nam).
VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")
DAY_SECONDS = 86400.0


@dataclass(frozen=True)
class LegalClock:
    """Maps wall-clock instants to legal instants for one case."""

    origin: datetime
    legal_day_seconds: float = DAY_SECONDS

    def __post_init__(self) -> None:
        if self.legal_day_seconds <= 0:
            raise ValueError("legal_day_seconds must be positive")

    @property
    def _factor(self) -> float:
        return DAY_SECONDS / self.legal_day_seconds

    def to_legal(self, instant: datetime) -> datetime:
        return self.origin + (instant - self.origin) * self._factor

    def to_real(self, legal: datetime) -> datetime:
        return self.origin + (legal - self.origin) / self._factor

    def legal_date(self, instant: datetime) -> date:
        return self.to_legal(instant).astimezone(VIETNAM_TZ).date()

    def legal_days(self, days: float) -> timedelta:
        """The wall-clock length of ``days`` legal days."""
        return timedelta(seconds=days * self.legal_day_seconds)


@dataclass(frozen=True)
class StageDeadline:
    """A computed deadline of one stage, with its explanation."""

    stage: str
    rule: Deadline
    anchored_at: datetime
    due: datetime  # wall clock, for timers
    due_legal: datetime  # legal clock, for people
    remind_at: datetime | None
    counted: DeadlineResult

    @property
    def kind(self) -> DeadlineKind:
        return self.rule.kind

    def explanation(self) -> str:
        return self.counted.explain()

    def explanation_vi(self) -> str:
        return self.counted.explain_vi()


def compute_deadline(
    definition: ProcessDefinition,
    stage: str,
    entered: dict[str, datetime],
    clock: LegalClock,
    calendar: LegalCalendar,
    simplified: bool = False,
) -> StageDeadline | None:
    """The deadline of ``stage`` given the latest entry time of each stage so far, under
    the normal or the simplified procedure (which may shorten it).

    Returns None when the stage has no deadline or its anchor stage was never entered.
    """
    rule = definition.stages[stage].deadline
    if rule is None:
        return None
    anchor_stage = rule.anchor or stage
    if anchor_stage not in entered:
        return None
    return deadline_from(stage, rule, entered[anchor_stage], clock, calendar, simplified)


def deadline_from(
    stage: str,
    rule: Deadline,
    anchored_at: datetime,
    clock: LegalClock,
    calendar: LegalCalendar,
    simplified: bool = False,
) -> StageDeadline:
    """``rule`` counted from ``anchored_at`` (a stage entry, a request sent…)."""
    legal_start = clock.to_legal(anchored_at)
    days = rule.simplified_days if simplified and rule.simplified_days is not None else rule.days
    counted = calendar.add(legal_start.astimezone(VIETNAM_TZ).date(), days, rule.unit)
    # Same time of day on the due date: N legal days (weekends and holidays included).
    due_legal = legal_start + timedelta(days=(counted.due - counted.start).days)
    due = clock.to_real(due_legal)
    remind_at = None
    if rule.kind is DeadlineKind.MAXIMUM and 0 < rule.remind_before_days < days:
        remind_at = clock.to_real(due_legal - timedelta(days=rule.remind_before_days))
    return StageDeadline(stage, rule, anchored_at, due, due_legal, remind_at, counted)
