"""Legal time: the case's legal clock, and deadlines computed from stage entries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from models.calendar import DayUnit, LegalCalendar
from models.definition import DeadlineKind, ProcessDefinition
from models.legal_time import VIETNAM_TZ, LegalClock, compute_deadline
from models.registry import PROCESSES_DIR, load_regime, load_registry

DEFINITION = load_registry().get("qd_ubnd_tinh", "L2025_A87")
CALENDAR = LegalCalendar()
ORIGIN = datetime(2026, 3, 2, 9, 0, tzinfo=VIETNAM_TZ)
REAL = LegalClock(origin=ORIGIN, legal_day_seconds=86400)
FAST = LegalClock(origin=ORIGIN, legal_day_seconds=1)


# --- the clock ---------------------------------------------------------------------------------


def test_a_real_day_clock_is_the_wall_clock() -> None:
    instant = ORIGIN + timedelta(days=17, hours=5, minutes=3)
    assert REAL.to_legal(instant) == instant
    assert REAL.to_real(instant) == instant
    assert REAL.legal_date(instant) == date(2026, 3, 19)


@pytest.mark.parametrize("seconds", [1.0, 0.5, 60.0, 3600.0, 86400.0])
def test_round_trip(seconds: float) -> None:
    clock = LegalClock(origin=ORIGIN, legal_day_seconds=seconds)
    for offset in (timedelta(0), timedelta(seconds=7), timedelta(minutes=3, seconds=1)):
        instant = ORIGIN + offset
        assert clock.to_real(clock.to_legal(instant)) == instant
        # The other way, a wall-clock microsecond is worth 86400 / seconds legal ones.
        legal = ORIGIN + offset * 1000
        resolution = timedelta(microseconds=86400 / seconds + 1)
        assert abs(clock.to_legal(clock.to_real(legal)) - legal) <= resolution


def test_a_compressed_day() -> None:
    # A legal day of one second: 30 legal days pass in 30 seconds of wall-clock time.
    assert FAST.legal_days(30) == timedelta(seconds=30)
    assert FAST.to_legal(ORIGIN + timedelta(seconds=30)) == ORIGIN + timedelta(days=30)
    assert FAST.to_real(ORIGIN + timedelta(days=30)) == ORIGIN + timedelta(seconds=30)
    assert FAST.legal_date(ORIGIN + timedelta(seconds=30)) == date(2026, 4, 1)
    assert REAL.legal_days(2) == timedelta(days=2)


def test_legal_date_is_vietnam_date() -> None:
    # 18:00 UTC on 19 Nov is 01:00 on 20 Nov in Vietnam.
    assert REAL.legal_date(datetime(2026, 11, 19, 18, 0, tzinfo=UTC)) == date(2026, 11, 20)
    assert REAL.legal_date(datetime(2026, 11, 19, 16, 0, tzinfo=UTC)) == date(2026, 11, 19)


@pytest.mark.parametrize("seconds", [0.0, -1.0])
def test_legal_day_must_be_positive(seconds: float) -> None:
    with pytest.raises(ValueError, match="legal_day_seconds"):
        LegalClock(origin=ORIGIN, legal_day_seconds=seconds)


# --- compute_deadline --------------------------------------------------------------------------


def test_consultation_minimum_30_calendar_days() -> None:
    entered = ORIGIN + timedelta(days=1)  # 2026-03-03 09:00
    dl = compute_deadline(DEFINITION, "consultation", {"consultation": entered}, REAL, CALENDAR)
    assert dl is not None
    assert dl.stage == "consultation"
    assert dl.kind is DeadlineKind.MINIMUM
    assert dl.anchored_at == entered
    assert dl.due == entered + timedelta(days=30)
    assert dl.due_legal == entered + timedelta(days=30)
    assert dl.counted.due == date(2026, 4, 2)
    assert dl.counted.unit is DayUnit.CALENDAR
    assert dl.remind_at is None  # a minimum period has nobody to remind
    assert dl.explanation() == "30 calendar days from 2026-03-03 → 2026-04-02"
    assert dl.explanation_vi() == "30 ngày kể từ 03/03/2026 → 02/04/2026"


def test_consultation_on_a_compressed_clock() -> None:
    entered = ORIGIN + timedelta(seconds=5)
    dl = compute_deadline(DEFINITION, "consultation", {"consultation": entered}, FAST, CALENDAR)
    assert dl is not None
    assert dl.due == entered + timedelta(seconds=30)
    assert dl.due_legal == FAST.to_legal(entered) + timedelta(days=30)


def test_a_later_entry_restarts_the_count() -> None:
    first = compute_deadline(DEFINITION, "consultation", {"consultation": ORIGIN}, REAL, CALENDAR)
    again = ORIGIN + timedelta(days=45)
    second = compute_deadline(DEFINITION, "consultation", {"consultation": again}, REAL, CALENDAR)
    assert first is not None
    assert second is not None
    assert second.due - first.due == timedelta(days=45)


def test_appraisal_signoff_counts_from_entry_into_appraisal() -> None:
    appraisal = ORIGIN + timedelta(days=50)
    signoff = appraisal + timedelta(days=4)
    entered = {"appraisal": appraisal, "appraisal_signoff": signoff}
    dl = compute_deadline(DEFINITION, "appraisal_signoff", entered, REAL, CALENDAR)
    assert dl is not None
    assert dl.kind is DeadlineKind.MAXIMUM
    assert dl.anchored_at == appraisal
    assert dl.due == appraisal + timedelta(days=10)  # not signoff + 10
    # remind_at = due - remind_before_days (1 for the sign-off, 2 for the appraisal itself)
    assert dl.remind_at == dl.due - timedelta(days=1)
    same = compute_deadline(DEFINITION, "appraisal", entered, REAL, CALENDAR)
    assert same is not None
    assert same.due == dl.due
    assert same.remind_at == same.due - timedelta(days=2)


def test_remind_at_on_a_compressed_clock() -> None:
    entered = {"appraisal": ORIGIN + timedelta(seconds=100)}
    dl = compute_deadline(DEFINITION, "appraisal", entered, FAST, CALENDAR)
    assert dl is not None
    assert dl.due == ORIGIN + timedelta(seconds=110)
    assert dl.remind_at == ORIGIN + timedelta(seconds=108)


@pytest.mark.parametrize("stage", ["gazette_submission", "publication", "appraisal"])
def test_remind_at_is_due_minus_remind_before_days(stage: str) -> None:
    rule = DEFINITION.stages[stage].deadline
    assert rule is not None
    assert rule.remind_before_days > 0
    anchor = rule.anchor or stage
    dl = compute_deadline(DEFINITION, stage, {anchor: ORIGIN, stage: ORIGIN}, REAL, CALENDAR)
    assert dl is not None
    assert dl.remind_at == dl.due - timedelta(days=rule.remind_before_days)


def test_no_deadline_when_the_anchor_stage_was_never_entered() -> None:
    only_signoff = {"appraisal_signoff": ORIGIN}
    assert compute_deadline(DEFINITION, "appraisal_signoff", only_signoff, REAL, CALENDAR) is None
    only_awaiting = {"awaiting_force": ORIGIN}
    assert compute_deadline(DEFINITION, "awaiting_force", only_awaiting, REAL, CALENDAR) is None


def test_no_deadline_for_a_stage_without_one() -> None:
    assert compute_deadline(DEFINITION, "drafting", {"drafting": ORIGIN}, REAL, CALENDAR) is None


# --- working days ------------------------------------------------------------------------------


def _working_day_definition(tmp_path: Path) -> ProcessDefinition:
    raw: dict[str, Any] = yaml.safe_load(
        (PROCESSES_DIR / "L2025_A87.yaml").read_text(encoding="utf-8")
    )
    raw["types"]["qd_ubnd_tinh"]["stages"]["appraisal"]["deadline"] = {
        "days": 3,
        "unit": "working",
        "kind": "maximum",
        "basis": "Thời hạn thử nghiệm 3 ngày làm việc",
        "confirmed": False,
        "remind_before_days": 1,
        "responsible": "appraiser",
    }
    path = tmp_path / "working.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_regime(path).definitions["qd_ubnd_tinh"]


def test_working_days_skip_vietnam_cultural_day(tmp_path: Path) -> None:
    d = _working_day_definition(tmp_path)
    friday = datetime(2026, 11, 20, 9, 0, tzinfo=VIETNAM_TZ)
    clock = LegalClock(origin=friday - timedelta(days=30))
    dl = compute_deadline(d, "appraisal", {"appraisal": friday}, clock, CALENDAR)
    assert dl is not None
    # Sat 21, Sun 22 and Tue 24 (Vietnam Cultural Day) are skipped: Mon 23, Wed 25, Thu 26.
    assert dl.counted.due == date(2026, 11, 26)
    assert dl.due == datetime(2026, 11, 26, 9, 0, tzinfo=VIETNAM_TZ)
    assert date(2026, 11, 24) in {s.day for s in dl.counted.skipped}
    assert "skipped" in dl.explanation()
    assert "2026-11-24 Vietnam Cultural Day" in dl.explanation()
    assert "24/11/2026" in dl.explanation_vi()
    assert dl.remind_at == dl.due - timedelta(days=1)


def test_working_days_on_a_compressed_clock(tmp_path: Path) -> None:
    d = _working_day_definition(tmp_path)
    origin = datetime(2026, 11, 20, 9, 0, tzinfo=VIETNAM_TZ)  # legal day 0 is that Friday
    clock = LegalClock(origin=origin, legal_day_seconds=1)
    dl = compute_deadline(d, "appraisal", {"appraisal": origin}, clock, CALENDAR)
    assert dl is not None
    # 3 working days span 6 legal days here (weekend + 24/11), i.e. 6 wall-clock seconds.
    assert dl.due == origin + timedelta(seconds=6)
