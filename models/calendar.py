"""Legal calendar (lịch pháp lý): deadline arithmetic for Vietnamese legal procedures.

Deadlines are expressed either in calendar days (ngày) or in working days (ngày làm việc).
Following the Vietnamese civil-law convention, the day on which the triggering event happens
is not counted: counting starts the day after ``start``.

Two sets of rules, chosen by what a case was started with (so a replay computes what the
first run did):

- **The official calendar** (``official``, ``models/official_calendar.yaml``; every case started
  since the calendar became data): a day is non-working when it is a Saturday or Sunday not
  announced as a make-up working day (làm bù), or an announced holiday or day off. A year the
  calendar does not list is *projected* from ``holidays.VN`` (pinned), and says so.
- **Before the calendar was data** (``official=None``): weekends and ``holidays.VN`` only.

In both, a deployment's own extra days off and working days take precedence.

The module is pure and deterministic so it can be used inside Temporal workflow code: it never
reads the clock, and holiday names are always requested in one language (``en_US`` under the
old rules, ``vi`` for projected years), so that the result does not depend on the worker's
locale environment variables.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import Enum
from types import MappingProxyType

import holidays

from models.official_calendar import CalendarDay, DayKind, OfficialCalendar

__all__ = [
    "CountedDay",
    "DayUnit",
    "DeadlineResult",
    "LegalCalendar",
    "RollOver",
    "SkippedDay",
    "day_vi",
]

_SATURDAY = 5
_SUNDAY = 6
_HOLIDAY_LANGUAGE = "en_US"

_WEEKEND_REASON = {_SATURDAY: "Saturday", _SUNDAY: "Sunday"}

# English holiday names produced by holidays.VN (language="en_US") -> Vietnamese names
# (as produced by holidays.VN with language="vi"). Used by DeadlineResult.explain_vi().
_VI_REASON: dict[str, str] = {
    "Saturday": "Thứ Bảy",
    "Sunday": "Chủ Nhật",
    "New Year's Day": "Tết Dương lịch",
    "29 of Lunar New Year": "29 Tết",
    "Lunar New Year's Eve": "Giao thừa Tết Nguyên Đán",
    "Lunar New Year": "Tết Nguyên Đán",
    "Second Day of Lunar New Year": "Mùng hai Tết Nguyên Đán",
    "Third Day of Lunar New Year": "Mùng ba Tết Nguyên Đán",
    "Fourth Day of Lunar New Year": "Mùng bốn Tết Nguyên Đán",
    "Fifth Day of Lunar New Year": "Mùng năm Tết Nguyên Đán",
    "Sixth Day of Lunar New Year": "Mùng sáu Tết Nguyên Đán",
    "Hung Kings' Commemoration Day": "Ngày Giỗ Tổ Hùng Vương",
    "Liberation Day/Reunification Day": "Ngày Chiến thắng",
    "International Labor Day": "Ngày Quốc tế Lao động",
    "National Day": "Quốc khánh",
    "Vietnam Cultural Day": "Ngày Văn hóa Việt Nam",
}
_OBSERVED_SUFFIX = " (observed)"
_SUBSTITUTED_RE = re.compile(r"^Day off \(substituted from (\d{2})/(\d{2})/(\d{4})\)$")


class DayUnit(str, Enum):
    """Unit of a legal time limit."""

    CALENDAR = "calendar"  # ngày
    WORKING = "working"  # ngày làm việc


@dataclass(frozen=True)
class SkippedDay:
    """A non-working day passed over while counting working days."""

    day: date
    reason: str
    #: The instrument that made it a day off (None: a weekly rest day, or the old rules).
    source: str | None = None
    #: From a year not yet announced (dự kiến).
    projected: bool = False


@dataclass(frozen=True)
class CountedDay:
    """A Saturday or Sunday counted as a working day: a make-up working day (ngày làm bù)."""

    day: date
    name: str
    source: str
    projected: bool = False


@dataclass(frozen=True)
class RollOver:
    """A calendar-day limit whose last day was a day off, run on to the next working day."""

    last_day: date
    to: date
    skipped: tuple[SkippedDay, ...]
    basis: str


_WEEKDAY_VI = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
_WEEKDAY_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _fmt_vi(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def day_vi(day: date) -> str:
    """``thứ Bảy 10/01/2026``."""
    return f"{_WEEKDAY_VI[day.weekday()]} {_fmt_vi(day)}"


def _day_en(day: date) -> str:
    return f"{_WEEKDAY_EN[day.weekday()]} {_fmt_vi(day)}"


def _skipped_vi(s: SkippedDay) -> str:
    return f"{_fmt_vi(s.day)} ({_reason_vi(s.reason)})"


def _reason_vi(reason: str) -> str:
    """Best-effort Vietnamese rendering of a day-off reason; unknown labels are kept as is."""
    parts = []
    for part in reason.split("; "):
        if part in _VI_REASON:
            parts.append(_VI_REASON[part])
            continue
        if part.endswith(_OBSERVED_SUFFIX):
            base = part[: -len(_OBSERVED_SUFFIX)]
            if base in _VI_REASON:
                parts.append(f"{_VI_REASON[base]} (nghỉ bù)")
                continue
        match = _SUBSTITUTED_RE.match(part)
        if match is not None:
            month, day, year = match.groups()
            parts.append(f"Ngày nghỉ (thay cho ngày {day}/{month}/{year})")
            continue
        parts.append(part)
    return "; ".join(parts)


@dataclass(frozen=True)
class DeadlineResult:
    """Outcome of a deadline computation, with the days skipped while counting."""

    start: date
    days: int
    unit: DayUnit
    #: The last day of the limit (after a roll-over, the working day it ran on to).
    due: date
    skipped: tuple[SkippedDay, ...]
    #: Saturdays and Sundays counted as working days (làm bù).
    worked: tuple[CountedDay, ...] = ()
    roll_over: RollOver | None = None
    #: Years counted through that the calendar does not announce yet.
    projected_years: tuple[int, ...] = ()
    projected_basis: str | None = None

    def explain(self) -> str:
        """English explanation: ``3 working days from 2026-11-20 → 2026-11-26; skipped …``."""
        if self.unit is DayUnit.WORKING:
            noun = "working day" if self.days == 1 else "working days"
        else:
            noun = "calendar day" if self.days == 1 else "calendar days"
        last = self.roll_over.last_day if self.roll_over else self.due
        text = f"{self.days} {noun} from {self.start.isoformat()} → {last.isoformat()}"
        if self.skipped:
            listed = ", ".join(f"{s.day.isoformat()} {s.reason}" for s in self.skipped)
            text += f"; skipped {listed}"
        for w in self.worked:
            text += f"; counted {_day_en(w.day)}, a make-up working day under {w.source}"
        if self.roll_over is not None:
            r = self.roll_over
            off = ", ".join(f"{s.day.isoformat()} {s.reason}" for s in r.skipped)
            text += (
                f"; the last day is a day off ({off}), so the limit runs to the end of the "
                f"next working day {r.to.isoformat()} ({r.basis})"
            )
        if self.projected_years:
            years = ", ".join(str(y) for y in self.projected_years)
            text += f"; projected: {years} not yet announced, counted under {self.projected_basis}"
        return text

    def explain_vi(self) -> str:
        """Vietnamese: ``3 ngày làm việc kể từ 20/11/2026 → 26/11/2026; bỏ qua: …``."""
        noun = "ngày làm việc" if self.unit is DayUnit.WORKING else "ngày"
        last = self.roll_over.last_day if self.roll_over else self.due
        text = f"{self.days} {noun} kể từ {_fmt_vi(self.start)} → {_fmt_vi(last)}"
        if self.skipped:
            text += "; bỏ qua: " + ", ".join(_skipped_vi(s) for s in self.skipped)
        for w in self.worked:
            text += f"; tính cả {day_vi(w.day)}, ngày làm bù theo {w.source}"
        if self.roll_over is not None:
            r = self.roll_over
            off = ", ".join(_skipped_vi(s) for s in r.skipped)
            text += (
                f"; ngày cuối cùng là ngày nghỉ ({off}) nên thời hạn kết thúc vào cuối ngày "
                f"làm việc tiếp theo {_fmt_vi(r.to)} ({r.basis})"
            )
        if self.projected_years:
            years = ", ".join(str(y) for y in self.projected_years)
            text += (
                f"; dự kiến: năm {years} chưa có thông báo chính thức, tính theo "
                f"{self.projected_basis}"
            )
        return text


#: Holiday tables per year, shared by every LegalCalendar of the process: they depend on the
#: year (and language) only, and holidays.VN is deterministic data (pinned), so sharing them is
#: safe inside workflow code. The worker passes this module through Temporal's sandbox so that
#: every open case shares the same tables.
_HOLIDAYS_BY_YEAR: dict[tuple[int, str], Mapping[date, str]] = {}
_PROJECTED_BY_YEAR: dict[int, Mapping[date, CalendarDay]] = {}
_PROJECTED_SOURCE = "Bộ luật Lao động 2019 Điều 112 (dự kiến, holidays.VN)"


def _holidays_for_year(year: int, language: str = _HOLIDAY_LANGUAGE) -> Mapping[date, str]:
    table = _HOLIDAYS_BY_YEAR.get((year, language))
    if table is None:
        loaded = holidays.country_holidays("VN", years=year, language=language)
        table = MappingProxyType(
            {day: str(name) for day, name in loaded.items() if day.year == year}
        )
        # setdefault: two threads computing the same year keep one (equal) table.
        table = _HOLIDAYS_BY_YEAR.setdefault((year, language), table)
    return table


def _projected_year(year: int) -> Mapping[date, CalendarDay]:
    """A year the calendar does not announce, as holidays.VN projects it: its holidays and
    days off, and the make-up working days it knows (``weekend_workdays``)."""
    table = _PROJECTED_BY_YEAR.get(year)
    if table is None:
        days = {
            day: CalendarDay(
                day=day,
                kind=DayKind.HOLIDAY,
                name=name,
                source=_PROJECTED_SOURCE,
                confirmed=False,
            )
            for day, name in _holidays_for_year(year, "vi").items()
        }
        loaded = holidays.country_holidays("VN", years=year, language="vi")
        for day in sorted(loaded.weekend_workdays):
            if day.year == year:
                days[day] = CalendarDay(
                    day=day,
                    kind=DayKind.WORKING_DAY,
                    name="Ngày làm bù (dự kiến)",
                    source=_PROJECTED_SOURCE,
                    confirmed=False,
                )
        table = _PROJECTED_BY_YEAR.setdefault(year, MappingProxyType(days))
    return table


class LegalCalendar:
    """Vietnamese working-day calendar: weekends, the official calendar (or, for cases started
    before it was data, holidays.VN) and a deployment's own day swaps.

    ``extra_days_off`` maps additional days off to a label (e.g. an extra Tết day decided by the
    Prime Minister that holidays.VN does not know about). ``extra_working_days`` are days that are
    always working days, even when they fall on a weekend or a holiday (official swaps).
    Holiday tables are loaded lazily, one year at a time, and shared by every instance.
    """

    def __init__(
        self,
        extra_days_off: Mapping[date, str] | None = None,
        extra_working_days: Iterable[date] | None = None,
        official: OfficialCalendar | None = None,
    ) -> None:
        self._extra_days_off: dict[date, str] = dict(extra_days_off or {})
        self._extra_working_days: frozenset[date] = frozenset(extra_working_days or ())
        self._official = official
        self._announced: dict[date, CalendarDay] = (
            {d.day: d for days in official.years.values() for d in days} if official else {}
        )

    @property
    def official(self) -> OfficialCalendar | None:
        """The official calendar this one follows; None under the rules before it was data
        (same time of day, no roll-over, no make-up working days)."""
        return self._official

    def entry(self, day: date) -> CalendarDay | None:
        """What the official calendar (announced or projected) says of ``day``, if anything."""
        if self._official is None:
            return None
        if self._official.announced(day.year):
            return self._announced.get(day)
        return _projected_year(day.year).get(day)

    def projected(self, year: int) -> bool:
        return self._official is not None and not self._official.announced(year)

    def _skip(self, day: date) -> SkippedDay | None:
        """The day passed over, or None for a working day."""
        if day in self._extra_working_days:
            return None
        label = self._extra_days_off.get(day)
        if label is not None:
            return SkippedDay(day, label)
        if self._official is None:
            holiday = _holidays_for_year(day.year).get(day)
            if holiday is not None:
                return SkippedDay(day, holiday)
        else:
            entry = self.entry(day)
            if entry is not None:
                if entry.kind is DayKind.WORKING_DAY:
                    return None
                return SkippedDay(day, entry.name, entry.source, self.projected(day.year))
        weekend = _WEEKEND_REASON.get(day.weekday())
        if weekend is None:
            return None
        return SkippedDay(day, weekend)

    def day_off_reason(self, day: date) -> str | None:
        """Why ``day`` is not a working day, or ``None`` if it is a working day.

        Precedence: deployment working day (→ None), deployment day-off label, the official
        calendar's entry (or under the old rules the holiday name), then Saturday/Sunday.
        """
        skipped = self._skip(day)
        return None if skipped is None else skipped.reason

    def is_working_day(self, day: date) -> bool:
        """True for a working day (ngày làm việc)."""
        return self._skip(day) is None

    def _worked(self, day: date) -> CountedDay | None:
        """A weekend day counted as a working day, with why."""
        if day.weekday() < 5 or self._official is None or not self.is_working_day(day):
            return None
        entry = self.entry(day)
        if entry is not None and entry.kind is DayKind.WORKING_DAY:
            return CountedDay(day, entry.name, entry.source, self.projected(day.year))
        return CountedDay(day, "Ngày làm việc của đơn vị", "quy định của đơn vị")

    def _projected_between(self, start: date, end: date) -> tuple[int, ...]:
        years = range(start.year, end.year + 1)
        return tuple(y for y in years if self.projected(y))

    def add(self, start: date, days: int, unit: DayUnit) -> DeadlineResult:
        """Compute the due date ``days`` days (of ``unit``) after ``start``.

        The start day itself is not counted (Bộ luật Dân sự 2015 Điều 147 khoản 2). For working
        days, the due date is the day on which the ``days``-th working day is reached;
        non-working days passed over are reported in ``skipped`` and weekend days counted as
        working in ``worked``. ``days=0`` yields ``due == start``.
        """
        if days < 0:
            raise ValueError(f"days must be >= 0 (got {days}); deadlines only count forward")
        unit = DayUnit(unit)
        if unit is DayUnit.CALENDAR or days == 0:
            due = start + timedelta(days=days)
            return self._result(start, days, unit, due, (), ())

        skipped: list[SkippedDay] = []
        worked: list[CountedDay] = []
        counted = 0
        current = start
        one_day = timedelta(days=1)
        while counted < days:
            current += one_day
            passed = self._skip(current)
            if passed is None:
                counted += 1
                made_up = self._worked(current)
                if made_up is not None:
                    worked.append(made_up)
            else:
                skipped.append(passed)
        return self._result(start, days, unit, current, tuple(skipped), tuple(worked))

    def _result(
        self,
        start: date,
        days: int,
        unit: DayUnit,
        due: date,
        skipped: tuple[SkippedDay, ...],
        worked: tuple[CountedDay, ...],
    ) -> DeadlineResult:
        official = self._official
        # Only a count that looked at which days are off can depend on a projection: calendar
        # days count every day (a roll-over, if any, looks at the last one: roll_over()).
        counted = unit is DayUnit.WORKING and days > 0
        projected = self._projected_between(start, due) if counted else ()
        return DeadlineResult(
            start=start,
            days=days,
            unit=unit,
            due=due,
            skipped=skipped,
            worked=worked,
            projected_years=projected,
            projected_basis=official.rules.projected_basis if official and projected else None,
        )

    def roll_over(self, result: DeadlineResult) -> DeadlineResult:
        """A limit whose last day is a day off, run on to the end of the next working day
        (Bộ luật Dân sự 2015 Điều 148 khoản 5). Only under the official calendar's rules."""
        official = self._official
        if official is None:
            return result
        passed: list[SkippedDay] = []
        day = result.due
        while (skip := self._skip(day)) is not None:
            passed.append(skip)
            day += timedelta(days=1)
        # Whether the last day (and those after it) are days off may be a projection.
        years = sorted({*result.projected_years, *self._projected_between(result.due, day)})
        projected = tuple(years)
        basis = official.rules.projected_basis if projected else None
        if not passed:
            return replace(result, projected_years=projected, projected_basis=basis)
        rolled = RollOver(result.due, day, tuple(passed), official.rules.roll_over_basis)
        return replace(
            result, due=day, roll_over=rolled, projected_years=projected, projected_basis=basis
        )
