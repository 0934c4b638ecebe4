"""The official calendar as data (lịch ngày nghỉ chính thức): public holidays, compensatory
days off and make-up working days, each with the instrument that announced it.

``models/official_calendar.yaml`` is the shipped copy; a deployment may keep its own
(``LEGISFLOW_CALENDAR_FILE``). A case carries the calendar it was started with in its input
(``CalendarSettings.official``), so a replay computes the same deadlines whatever the file
says later; a new announcement reaches a running case only through an explicit Update.
Errors name the file and the field, as the procedure files do.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from models.field_errors import field_errors

CALENDAR_FILE = Path(__file__).parent / "official_calendar.yaml"

_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300)]


class CalendarError(ValueError):
    """The calendar file is malformed, or an announcement cannot be recorded; the message
    names the file and the field."""


class DayKind(str, Enum):
    """What an announced day is."""

    HOLIDAY = "holiday"  # ngày nghỉ lễ, tết
    DAY_OFF = "day_off"  # ngày nghỉ bù, nghỉ hoán đổi (a weekday off)
    WORKING_DAY = "working_day"  # ngày làm bù (a weekend day worked)

    @property
    def label_vi(self) -> str:
        return {
            DayKind.HOLIDAY: "nghỉ lễ, tết",
            DayKind.DAY_OFF: "nghỉ bù / hoán đổi",
            DayKind.WORKING_DAY: "làm bù",
        }[self]


class CalendarDay(BaseModel):
    """One announced day and the instrument that announced it (căn cứ)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    day: date = Field(alias="date")
    kind: DayKind
    name: _Text
    source: _Text
    #: False when the date is known but the instrument still has to be checked.
    confirmed: bool

    @model_validator(mode="after")
    def _fits_its_kind(self) -> CalendarDay:
        weekend = self.day.weekday() >= 5
        if self.kind is DayKind.WORKING_DAY and not weekend:
            raise ValueError(
                f"kind: a make-up working day (working_day) is a Saturday or Sunday; "
                f"{self.day:%d/%m/%Y} is a weekday"
            )
        if self.kind is DayKind.DAY_OFF and weekend:
            raise ValueError(
                f"kind: a day off in exchange (day_off) is a weekday; "
                f"{self.day:%d/%m/%Y} is a weekend day"
            )
        return self


class TimeLimitRules(BaseModel):
    """How a time limit counted in days ends, with its legal basis (căn cứ pháp lý)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: A maximum time limit ends at 24:00 of its last day.
    maximum_ends_basis: _Text
    #: A minimum period allows the action from 00:00 of the day it names.
    minimum_allows_basis: _Text
    #: The deadline kinds whose calendar-day limit, ending on a day off, runs on to the end of
    #: the next working day.
    roll_over_kinds: tuple[Literal["maximum", "minimum"], ...] = ("maximum",)
    roll_over_basis: _Text
    #: What a year not yet announced is projected from.
    projected_basis: _Text


class OfficialCalendar(BaseModel):
    """The announced years; a year absent here is projected (dự kiến)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rules: TimeLimitRules
    years: dict[int, tuple[CalendarDay, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _days_in_their_year(self) -> OfficialCalendar:
        problems = []
        for year, days in self.years.items():
            seen: set[date] = set()
            for i, d in enumerate(days):
                if d.day.year != year:
                    problems.append(f"years.{year}.{i}.date: {d.day:%d/%m/%Y} is not in {year}")
                if d.day in seen:
                    problems.append(f"years.{year}.{i}.date: {d.day:%d/%m/%Y} is listed twice")
                seen.add(d.day)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def day(self, day: date) -> CalendarDay | None:
        """The announced entry for ``day``, if any."""
        for entry in self.years.get(day.year, ()):
            if entry.day == day:
                return entry
        return None

    def announced(self, year: int) -> bool:
        return year in self.years

    def since(self, day: date) -> OfficialCalendar:
        """The calendar without its days before ``day`` (the year of ``day`` stays announced):
        what a case, or a child it starts, carries in its input. Its limits count forward
        from ``day`` on, so they never look at a day left out; a child started for each
        citizen's feedback then carries a few entries, not the whole file."""
        kept = {
            y: tuple(d for d in days if d.day >= day)
            for y, days in self.years.items()
            if y >= day.year
        }
        if kept == self.years:
            return self
        return self.model_copy(update={"years": kept})


_LOADED: dict[tuple[Path, int], OfficialCalendar] = {}


def parse_calendar(text: str, name: str) -> OfficialCalendar:
    """Validate a calendar file's text; errors are ``name: field: problem``."""
    try:
        raw: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CalendarError(f"{name}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise CalendarError(f"{name}: expected a mapping with rules and years")
    if raw.get("years") is None:
        raw["years"] = {}
    try:
        return OfficialCalendar.model_validate(raw)
    except ValidationError as exc:
        raise CalendarError(f"{name}: {field_errors(exc)}") from exc


def load_calendar(path: Path = CALENDAR_FILE) -> OfficialCalendar:
    """The calendar in ``path``, read again only when the file changes."""
    try:
        key = (path.resolve(), path.stat().st_mtime_ns)
    except OSError as exc:
        raise CalendarError(f"{path}: cannot read the calendar file: {exc.strerror}") from exc
    loaded = _LOADED.get(key)
    if loaded is None:
        loaded = parse_calendar(path.read_text(encoding="utf-8"), path.name)
        _LOADED[key] = loaded
    return loaded


def _entry_line(entry: CalendarDay) -> str:
    fields = {
        "date": entry.day.isoformat(),
        "kind": entry.kind.value,
        "name": entry.name,
        "source": entry.source,
        "confirmed": entry.confirmed,
    }
    flow = yaml.safe_dump(
        fields, allow_unicode=True, default_flow_style=True, sort_keys=False, width=10_000
    ).strip()
    return f"    - {flow}\n"


def record_announcement(path: Path, entry: CalendarDay) -> OfficialCalendar:
    """Add ``entry`` to the calendar file at ``path`` (keeping its comments), after checking
    that the result is still a valid calendar; the file is replaced atomically."""
    text = path.read_text(encoding="utf-8") if path.exists() else CALENDAR_FILE.read_text("utf-8")
    current = parse_calendar(text, path.name)
    existing = current.day(entry.day)
    if existing is not None:
        raise CalendarError(
            f"{path.name}: years.{entry.day.year}: {entry.day:%d/%m/%Y} is already recorded "
            f"({existing.kind.value}: {existing.name}; {existing.source}); edit the file to "
            "change it"
        )
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    header = f"  {entry.day.year}:"
    try:
        start = next(i for i, line in enumerate(lines) if line.rstrip() == header)
    except StopIteration:
        if not any(line.rstrip() == "years:" for line in lines):
            lines.append("years:\n")
        lines.append(f"{header}\n")
        start = len(lines) - 1
    end = start + 1
    while end < len(lines) and (lines[end].startswith("    ") or not lines[end].strip()):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    lines.insert(end, _entry_line(entry))
    new_text = "".join(lines)
    updated = parse_calendar(new_text, path.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(new_text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return updated
