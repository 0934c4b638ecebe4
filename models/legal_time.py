"""Legal time (thời hạn pháp lý): when a stage's deadline falls, and why.

A case's legal clock runs ``86400 / legal_day_seconds`` times faster than the wall clock,
counted from the case's origin. In production a legal day is a real day (factor 1); a demo
sets it to a second so a whole life fits in a minute. Deadlines are computed on legal
dates with the legal calendar, then turned back into wall-clock instants for timers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from models.calendar import DayUnit, DeadlineResult, LegalCalendar
from models.definition import Deadline, DeadlineKind, ProcessDefinition
from models.official_calendar import TimeLimitRules

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


def rolls_over(rule: Deadline, rules: TimeLimitRules) -> bool:
    """Whether ``rule``'s last day, falling on a day off, runs on to the next working day: as
    the procedure file says for this rule, else as the calendar's rules say for its kind."""
    if rule.rolls_over is not None:
        return rule.rolls_over
    return rule.kind.value in rules.roll_over_kinds


def legal_instant(last_day: date, kind: DeadlineKind) -> datetime:
    """When a time limit whose last day is ``last_day`` takes effect, in legal time: a
    maximum runs to the end of that day, 24:00 (Bộ luật Dân sự 2015 Điều 148 khoản 1, 6): its
    last instant, so that the day it falls on is the day people are told; a minimum allows
    the action from 00:00 of it. Legal days are whole days in Vietnam's time zone."""
    at = time.max if kind is DeadlineKind.MAXIMUM else time.min
    return datetime.combine(last_day, at, tzinfo=VIETNAM_TZ)


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
    official = calendar.official
    if official is None:
        # The rules before the calendar was data (cases started then replay with them):
        # the same time of day on the due date.
        due_legal = legal_start + timedelta(days=(counted.due - counted.start).days)
    else:
        if rule.unit is DayUnit.CALENDAR and rolls_over(rule, official.rules):
            counted = calendar.roll_over(counted)
        due_legal = legal_instant(counted.due, rule.kind)
    due = clock.to_real(due_legal)
    remind_at = None
    if rule.kind is DeadlineKind.MAXIMUM and 0 < rule.remind_before_days < days:
        remind_at = clock.to_real(due_legal - timedelta(days=rule.remind_before_days))
    return StageDeadline(stage, rule, anchored_at, due, due_legal, remind_at, counted)
