"""Measurable results per agency and stage (chỉ số kết quả xử lý): cases handled, on-time
rate and median time spent, computed from the cases' audit trails."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from models.case import AuditEntry


@dataclass(frozen=True)
class CaseTrail:
    case_id: str
    agency: str
    legal_day_seconds: float
    audit: list[AuditEntry]


@dataclass(frozen=True)
class StageVisit:
    agency: str
    stage: str
    entered: datetime
    left: datetime
    legal_days: float
    breached: bool


def visits(trail: CaseTrail) -> list[StageVisit]:
    """Every completed stay of the case in a stage, in order."""
    out: list[StageVisit] = []
    stage: str | None = None
    entered: datetime | None = None
    breached = False
    for e in trail.audit:
        if e.action == "deadline_breached":
            breached = True
            continue
        if e.from_stage == e.to_stage:
            continue
        if stage is not None and entered is not None and e.from_stage == stage:
            days = (e.at - entered).total_seconds() / trail.legal_day_seconds
            out.append(StageVisit(trail.agency, stage, entered, e.at, days, breached))
        stage, entered, breached = e.to_stage, e.at, False
    return out


@dataclass
class KpiRow:
    agency: str
    stage: str
    handled: int = 0
    on_time: int = 0
    durations: list[float] = field(default_factory=list)

    @property
    def on_time_rate(self) -> float:
        return self.on_time / self.handled if self.handled else 0.0

    @property
    def median_legal_days(self) -> float:
        return median(self.durations) if self.durations else 0.0


def kpis(trails: Iterable[CaseTrail], start: datetime, end: datetime) -> list[KpiRow]:
    """Stage stays that ended in [start, end), grouped by agency and stage."""
    rows: dict[tuple[str, str], KpiRow] = {}
    for trail in trails:
        for v in visits(trail):
            if not start <= v.left < end:
                continue
            row = rows.setdefault((v.agency, v.stage), KpiRow(v.agency, v.stage))
            row.handled += 1
            row.on_time += 0 if v.breached else 1
            row.durations.append(v.legal_days)
    return [rows[k] for k in sorted(rows)]
