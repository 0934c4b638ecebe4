"""Legal calendar (lịch pháp lý): deadline arithmetic for Vietnamese legal procedures.

Deadlines are expressed either in calendar days (ngày) or in working days (ngày làm việc).
Following the Vietnamese civil-law convention, the day on which the triggering event happens
is not counted: counting starts the day after ``start``.

A day is non-working when it is a Saturday, a Sunday, a public holiday known to
``holidays.VN`` (including its observed / substituted days off), or a day off declared by the
deployment; days the deployment declares as working (official day swaps, e.g. a Saturday worked
to compensate for a bridge day) are always working days.

The module is pure and deterministic so it can be used inside Temporal workflow code: it never
reads the clock, and holiday names are always requested in ``en_US`` so that the result does not
depend on the worker's locale environment variables.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from types import MappingProxyType

import holidays

__all__ = ["DayUnit", "DeadlineResult", "LegalCalendar", "SkippedDay"]

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


def _fmt_vi(day: date) -> str:
    return day.strftime("%d/%m/%Y")


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
    due: date
    skipped: tuple[SkippedDay, ...]

    def explain(self) -> str:
        """English explanation: ``3 working days from 2026-11-20 → 2026-11-26; skipped …``."""
        if self.unit is DayUnit.WORKING:
            noun = "working day" if self.days == 1 else "working days"
        else:
            noun = "calendar day" if self.days == 1 else "calendar days"
        text = f"{self.days} {noun} from {self.start.isoformat()} → {self.due.isoformat()}"
        if self.skipped:
            listed = ", ".join(f"{s.day.isoformat()} {s.reason}" for s in self.skipped)
            text += f"; skipped {listed}"
        return text

    def explain_vi(self) -> str:
        """Vietnamese: ``3 ngày làm việc kể từ 20/11/2026 → 26/11/2026; bỏ qua: …``."""
        noun = "ngày làm việc" if self.unit is DayUnit.WORKING else "ngày"
        text = f"{self.days} {noun} kể từ {_fmt_vi(self.start)} → {_fmt_vi(self.due)}"
        if self.skipped:
            listed = ", ".join(f"{_fmt_vi(s.day)} ({_reason_vi(s.reason)})" for s in self.skipped)
            text += f"; bỏ qua: {listed}"
        return text


#: Holiday tables per year, shared by every LegalCalendar of the process: they depend on the
#: year only (the deployment's own days off and swaps are kept per instance), and holidays.VN
#: is deterministic data, so sharing them is safe inside workflow code. The worker passes this
#: module through Temporal's sandbox so that every open case shares the same tables.
_HOLIDAYS_BY_YEAR: dict[int, Mapping[date, str]] = {}


def _holidays_for_year(year: int) -> Mapping[date, str]:
    table = _HOLIDAYS_BY_YEAR.get(year)
    if table is None:
        loaded = holidays.country_holidays("VN", years=year, language=_HOLIDAY_LANGUAGE)
        table = MappingProxyType(
            {day: str(name) for day, name in loaded.items() if day.year == year}
        )
        # setdefault: two threads computing the same year keep one (equal) table.
        table = _HOLIDAYS_BY_YEAR.setdefault(year, table)
    return table


class LegalCalendar:
    """Vietnamese working-day calendar: weekends + holidays.VN + a deployment's official day swaps.

    ``extra_days_off`` maps additional days off to a label (e.g. an extra Tết day decided by the
    Prime Minister that holidays.VN does not know about). ``extra_working_days`` are days that are
    always working days, even when they fall on a weekend or a holiday (official swaps).
    Holiday tables are loaded lazily, one year at a time, and shared by every instance.
    """

    def __init__(
        self,
        extra_days_off: Mapping[date, str] | None = None,
        extra_working_days: Iterable[date] | None = None,
    ) -> None:
        self._extra_days_off: dict[date, str] = dict(extra_days_off or {})
        self._extra_working_days: frozenset[date] = frozenset(extra_working_days or ())

    def day_off_reason(self, day: date) -> str | None:
        """Why ``day`` is not a working day, or ``None`` if it is a working day.

        Precedence: deployment working day (→ None), deployment day-off label, holiday name,
        then "Saturday"/"Sunday".
        """
        if day in self._extra_working_days:
            return None
        label = self._extra_days_off.get(day)
        if label is not None:
            return label
        holiday = _holidays_for_year(day.year).get(day)
        if holiday is not None:
            return holiday
        return _WEEKEND_REASON.get(day.weekday())

    def is_working_day(self, day: date) -> bool:
        """True for a working day (ngày làm việc)."""
        return self.day_off_reason(day) is None

    def add(self, start: date, days: int, unit: DayUnit) -> DeadlineResult:
        """Compute the due date ``days`` days (of ``unit``) after ``start``.

        The start day itself is not counted. For working days, the due date is the day on which
        the ``days``-th working day is reached; non-working days passed over are reported in
        ``skipped``. ``days=0`` yields ``due == start``.
        """
        if days < 0:
            raise ValueError(f"days must be >= 0 (got {days}); deadlines only count forward")
        unit = DayUnit(unit)
        if unit is DayUnit.CALENDAR or days == 0:
            return DeadlineResult(
                start=start, days=days, unit=unit, due=start + timedelta(days=days), skipped=()
            )

        skipped: list[SkippedDay] = []
        counted = 0
        current = start
        one_day = timedelta(days=1)
        while counted < days:
            current += one_day
            reason = self.day_off_reason(current)
            if reason is None:
                counted += 1
            else:
                skipped.append(SkippedDay(day=current, reason=reason))
        return DeadlineResult(
            start=start, days=days, unit=unit, due=current, skipped=tuple(skipped)
        )
