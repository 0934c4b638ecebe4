"""The official calendar as data: announced days off and make-up working days, the roll-over of
a time limit ending on a day off, whole legal days, and the file's validation."""

from __future__ import annotations

import importlib.metadata
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import calendar as calendar_module
from models.calendar import DayUnit, LegalCalendar
from models.calendar_change import CalendarChange, audit_note, reproject
from models.definition import Deadline, DeadlineKind
from models.legal_time import (
    VIETNAM_TZ,
    LegalClock,
    StageDeadline,
    deadline_from,
    legal_instant,
)
from models.official_calendar import (
    CALENDAR_FILE,
    CalendarDay,
    CalendarError,
    DayKind,
    load_calendar,
    parse_calendar,
    record_announcement,
)

OFFICIAL = load_calendar()
CAL = LegalCalendar(official=OFFICIAL)
W = DayUnit.WORKING
C = DayUnit.CALENDAR


def end_of(day: date) -> datetime:
    """The last instant of a legal day: 24:00 is when a maximum has passed."""
    return datetime.combine(day, time.max, tzinfo=VIETNAM_TZ)


def _rule(days: int, unit: DayUnit, kind: DeadlineKind, **extra: object) -> Deadline:
    return Deadline.model_validate(
        {"days": days, "unit": unit, "kind": kind, "basis": "test basis", "confirmed": True} | extra
    )


# ---- make-up working Saturdays and swapped days off ------------------------------------------


def test_a_make_up_saturday_in_2025_is_a_working_day() -> None:
    """Sat 26/4/2025 worked in exchange for Fri 2/5/2025 off (hoán đổi dịp 30/4 – 1/5/2025):
    1 working day from Fri 25/4/2025 is Sat 26/4 (the old arithmetic gave Mon 28/4)."""
    r = CAL.add(date(2025, 4, 25), 1, W)
    assert r.due == date(2025, 4, 26)
    assert [w.day for w in r.worked] == [date(2025, 4, 26)]
    assert "tính cả thứ Bảy 26/04/2025, ngày làm bù" in r.explain_vi()


def test_the_swapped_friday_in_2025_is_a_day_off() -> None:
    """The other direction of the same swap: Fri 2/5/2025 is off, so 1 working day from
    Wed 30/4 (itself a holiday) passes Thu 1/5 and Fri 2/5, Sat 3/5 and Sun 4/5."""
    r = CAL.add(date(2025, 4, 30), 1, W)
    assert r.due == date(2025, 5, 5)
    assert date(2025, 5, 2) in [s.day for s in r.skipped]


def test_the_national_day_swap_of_2026_both_ways() -> None:
    """Sat 22/8/2026 worked, Mon 31/8/2026 off (hoán đổi dịp Quốc khánh 2026): 2 working days
    from Fri 21/8 give Mon 24/8 (the old arithmetic gave 25/8); 1 working day from Fri 28/8
    passes Mon 31/8 (swapped), Tue 1/9 and Wed 2/9 (Quốc khánh) and gives Thu 3/9."""
    assert CAL.add(date(2026, 8, 21), 2, W).due == date(2026, 8, 24)
    r = CAL.add(date(2026, 8, 28), 1, W)
    assert r.due == date(2026, 9, 3)
    assert [s.day for s in r.skipped] == [date(2026, 8, d) for d in (29, 30, 31)] + [
        date(2026, 9, 1),
        date(2026, 9, 2),
    ]


def test_the_new_year_swap_of_2026() -> None:
    """Fri 2/1/2026 off, Sat 10/1/2026 worked (Văn phòng Chính phủ 12729/VPCP-KGVX,
    25/12/2025), which holidays.VN does not know: 2 working days from 31/12/2025 give 6/1
    (the old arithmetic gave 5/1), and 1 working day from Fri 9/1/2026 gives Sat 10/1."""
    assert CAL.add(date(2025, 12, 31), 2, W).due == date(2026, 1, 6)
    r = CAL.add(date(2026, 1, 9), 1, W)
    assert r.due == date(2026, 1, 10)
    assert "counted Sat 10/01/2026, a make-up working day under Công văn 12729/VPCP-KGVX" in (
        r.explain()
    )
    assert "12729/VPCP-KGVX" in r.explain_vi()


def test_a_holiday_on_sunday_gives_the_monday_off() -> None:
    """Giỗ Tổ Hùng Vương 2026 falls on Sunday 26/4; Monday 27/4 is off in its place
    (Bộ luật Lao động 2019 Điều 111 khoản 3)."""
    r = CAL.add(date(2026, 4, 24), 1, W)
    assert r.due == date(2026, 4, 28)
    assert "Nghỉ bù Ngày Giỗ Tổ Hùng Vương" in r.explain_vi()


# ---- the end of a time limit -----------------------------------------------------------------


def test_a_calendar_day_maximum_ending_in_tet_runs_to_the_next_working_day() -> None:
    """Sending to the Công báo within 3 days of signing on Fri 13/2/2026 would fall due Mon
    16/2, inside Tết: the limit ends at the end of Mon 23/2, the next working day
    (Bộ luật Dân sự 2015 Điều 148 khoản 5)."""
    clock = LegalClock(origin=datetime(2026, 2, 13, 3, tzinfo=UTC))
    dl = deadline_from("gazette", _rule(3, C, DeadlineKind.MAXIMUM), clock.origin, clock, CAL)
    assert dl.counted.due == date(2026, 2, 23)
    assert dl.due_legal == end_of(date(2026, 2, 23))
    assert dl.counted.roll_over is not None
    assert dl.counted.roll_over.last_day == date(2026, 2, 16)
    text = dl.explanation_vi()
    assert "3 ngày kể từ 13/02/2026 → 16/02/2026" in text
    assert "cuối ngày làm việc tiếp theo 23/02/2026" in text
    assert "Bộ luật Dân sự 2015 Điều 148 khoản 5" in text


def test_a_minimum_period_is_never_extended_by_a_day_off() -> None:
    """A minimum period counts every day, holidays included (posting may run over Tết): 3 days
    from 13/2/2026 allow the action from 00:00 of Mon 16/2, although it is a holiday."""
    clock = LegalClock(origin=datetime(2026, 2, 13, 3, tzinfo=UTC))
    dl = deadline_from("post", _rule(3, C, DeadlineKind.MINIMUM), clock.origin, clock, CAL)
    assert dl.counted.roll_over is None
    assert dl.due_legal == datetime(2026, 2, 16, tzinfo=VIETNAM_TZ)


def test_a_rule_may_say_it_does_not_roll_over() -> None:
    clock = LegalClock(origin=datetime(2026, 2, 13, 3, tzinfo=UTC))
    rule = _rule(3, C, DeadlineKind.MAXIMUM, rolls_over=False)
    dl = deadline_from("x", rule, clock.origin, clock, CAL)
    assert dl.counted.due == date(2026, 2, 16)


def test_a_maximum_ends_at_midnight_and_a_minimum_allows_from_midnight() -> None:
    """Legal days are whole days in Vietnam's time zone (Bộ luật Dân sự 2015 Điều 148): a
    stage entered at 15:00 on Mon 7/12/2026 with a 10-day maximum is overdue only after 24:00
    of Thu 17/12, not at 15:00; a 10-day minimum allows the action from 00:00 of 17/12."""
    entered = datetime(2026, 12, 7, 15, tzinfo=VIETNAM_TZ)
    clock = LegalClock(origin=entered)
    maximum = deadline_from("m", _rule(10, C, DeadlineKind.MAXIMUM), entered, clock, CAL)
    minimum = deadline_from("n", _rule(10, C, DeadlineKind.MINIMUM), entered, clock, CAL)
    assert maximum.due == end_of(date(2026, 12, 17))
    assert maximum.due + timedelta(microseconds=1) == datetime(2026, 12, 18, tzinfo=VIETNAM_TZ)
    assert minimum.due == datetime(2026, 12, 17, tzinfo=VIETNAM_TZ)
    assert maximum.counted.due == minimum.counted.due == date(2026, 12, 17)
    assert legal_instant(date(2026, 12, 17), DeadlineKind.MAXIMUM) == maximum.due_legal


def test_the_reminder_falls_on_a_day_boundary_before_the_end() -> None:
    entered = datetime(2026, 12, 7, 15, tzinfo=VIETNAM_TZ)
    clock = LegalClock(origin=entered)
    rule = _rule(10, C, DeadlineKind.MAXIMUM, remind_before_days=2)
    dl = deadline_from("m", rule, entered, clock, CAL)
    assert dl.remind_at == end_of(date(2026, 12, 15))


def test_a_short_legal_day_keeps_whole_legal_days() -> None:
    """In a demo a legal day lasts a second: the deadline is still the end of a legal day."""
    origin = datetime(2026, 12, 2, 8, tzinfo=UTC)
    clock = LegalClock(origin=origin, legal_day_seconds=1.0)
    dl = deadline_from("m", _rule(2, C, DeadlineKind.MAXIMUM), origin, clock, CAL)
    assert dl.due_legal == end_of(date(2026, 12, 4))
    assert dl.due == clock.to_real(dl.due_legal)
    assert timedelta(seconds=2) < dl.due - origin < timedelta(seconds=3)


def test_cases_started_before_the_calendar_was_data_keep_the_hour_of_entry() -> None:
    """Their histories replay with the rules they ran on: no official calendar in the input."""
    entered = datetime(2026, 12, 2, 15, tzinfo=VIETNAM_TZ)
    clock = LegalClock(origin=entered)
    old = deadline_from("m", _rule(10, C, DeadlineKind.MAXIMUM), entered, clock, LegalCalendar())
    assert old.due_legal == datetime(2026, 12, 12, 15, tzinfo=VIETNAM_TZ)
    assert LegalCalendar().add(date(2025, 4, 25), 1, W).due == date(2025, 4, 28)


# ---- announced and projected years -----------------------------------------------------------


def test_a_year_not_announced_is_projected_and_says_so() -> None:
    """2027 is not in the file: its days come from Bộ luật Lao động 2019 Điều 112 (holidays.VN),
    and the explanation says the date is projected."""
    assert not OFFICIAL.announced(2027)
    r = CAL.add(date(2027, 2, 3), 2, W)
    assert r.due == date(2027, 2, 12)
    assert r.projected_years == (2027,)
    assert "dự kiến: năm 2027 chưa có thông báo chính thức" in r.explain_vi()
    assert "projected: 2027" in r.explain()
    announced = CAL.add(date(2026, 3, 2), 2, W)
    assert announced.projected_years == ()
    assert "dự kiến" not in announced.explain_vi()
    # Calendar days count every day: only whether the last day is off can be projected.
    minimum = CAL.add(date(2026, 12, 20), 30, C)
    assert minimum.projected_years == ()
    maximum = CAL.roll_over(CAL.add(date(2026, 12, 20), 30, C))
    assert maximum.projected_years == (2027,)


def test_announced_years_do_not_depend_on_the_holidays_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two machines with different `holidays` versions compute the same deadline for an
    announced year: the package is not consulted at all."""

    def refuse(*args: object, **kwargs: object) -> object:
        raise AssertionError("holidays.VN consulted for an announced year")

    monkeypatch.setattr("holidays.country_holidays", refuse)
    monkeypatch.setattr(calendar_module, "_HOLIDAYS_BY_YEAR", {})
    assert LegalCalendar(official=OFFICIAL).add(date(2025, 12, 31), 2, W).due == date(2026, 1, 6)


def test_holidays_is_pinned_exactly() -> None:
    text = (Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"holidays==0.109"' in text
    assert importlib.metadata.version("holidays") == "0.109"


@settings(max_examples=300, deadline=None)
@given(
    start=st.dates(min_value=date(2024, 12, 1), max_value=date(2027, 12, 31)),
    days=st.integers(min_value=0, max_value=40),
)
def test_the_explanation_matches_the_calendar_data(start: date, days: int) -> None:
    """Counting N working days forward, then checking every day passed against the data: the
    days skipped are exactly the days off the data (or the weekend) gives, with the reason
    the explanation names; the Saturdays and Sundays counted are exactly the announced
    make-up working days; and N working days lie between the start and the due date."""
    r = CAL.add(start, days, W)
    skipped = {s.day: s for s in r.skipped}
    worked = {w.day: w for w in r.worked}
    counted = 0
    day = start + timedelta(days=1)
    while day <= r.due:
        entry = CAL.entry(day)
        if entry is not None and entry.kind is DayKind.WORKING_DAY:
            assert day in worked
            assert worked[day].source == entry.source
            assert worked[day].source in r.explain_vi()
            counted += 1
        elif entry is not None:
            assert skipped[day].reason == entry.name
            assert entry.name in r.explain_vi()
        elif day.weekday() >= 5:
            assert skipped[day].reason in ("Saturday", "Sunday")
        else:
            assert day not in skipped
            counted += 1
        day += timedelta(days=1)
    assert counted == days
    assert set(skipped) | set(worked) <= {start + timedelta(days=i) for i in range(1, 400)}
    assert days == 0 or CAL.is_working_day(r.due)


# ---- the file --------------------------------------------------------------------------------


def _with_day(line: str) -> str:
    text = CALENDAR_FILE.read_text(encoding="utf-8")
    return text.replace("  2026:\n", f"  2026:\n{line}", 1)


@pytest.mark.parametrize(
    ("line", "error"),
    [
        (
            "    - {date: 2026-03-04, kind: working_day, name: Làm bù, source: X 1/2026, "
            "confirmed: true}\n",
            "years.2026.0.kind: a make-up working day (working_day) is a Saturday or Sunday",
        ),
        (
            "    - {date: 2026-03-07, kind: day_off, name: Nghỉ, source: X 1/2026, "
            "confirmed: true}\n",
            "years.2026.0.kind: a day off in exchange (day_off) is a weekday",
        ),
        (
            "    - {date: 2026-03-04, kind: holliday, name: Nghỉ, source: X 1/2026, "
            "confirmed: true}\n",
            "years.2026.0.kind: Input should be 'holiday', 'day_off' or 'working_day'",
        ),
        (
            "    - {date: 2026-03-04, kind: holiday, name: Nghỉ, confirmed: true}\n",
            "years.2026.0.source: Field required",
        ),
        (
            "    - {date: 2027-03-04, kind: holiday, name: Nghỉ, source: X 1/2026, "
            "confirmed: true}\n",
            "years.2026.0.date: 04/03/2027 is not in 2026",
        ),
        (
            "    - {date: 2026-01-01, kind: holiday, name: Nghỉ, source: X 1/2026, "
            "confirmed: true}\n",
            "years.2026.1.date: 01/01/2026 is listed twice",
        ),
    ],
)
def test_a_bad_entry_is_named_by_file_and_field(line: str, error: str) -> None:
    with pytest.raises(CalendarError) as err:
        parse_calendar(_with_day(line), "lich.yaml")
    assert str(err.value).startswith("lich.yaml: ")
    assert error in str(err.value)


def test_recording_an_announcement_keeps_the_file_readable(tmp_path: Path) -> None:
    path = tmp_path / "lich.yaml"
    path.write_text(CALENDAR_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    swap = CalendarDay(
        day=date(2027, 1, 2),
        kind=DayKind.WORKING_DAY,
        name="Làm bù cho ngày nghỉ thứ Hai 04/01/2027",
        source="Công văn 1/VPCP-KGVX, thử nghiệm",
        confirmed=True,
    )
    updated = record_announcement(path, swap)
    assert updated.day(date(2027, 1, 2)) == swap
    text = path.read_text(encoding="utf-8")
    assert "# kind:  holiday" in text  # the comments survive
    assert load_calendar(path).announced(2027)
    # 2027 is now announced: only its entries count, and nothing says "projected" for it.
    r = LegalCalendar(official=load_calendar(path)).add(date(2027, 1, 1), 1, W)
    assert r.due == date(2027, 1, 2)
    assert r.projected_years == ()
    with pytest.raises(CalendarError, match=r"02/01/2027 is already recorded"):
        record_announcement(path, swap)


def test_a_bad_announcement_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "lich.yaml"
    path.write_text(CALENDAR_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    with pytest.raises(CalendarError, match="already recorded"):
        record_announcement(
            path,
            CalendarDay(
                day=date(2026, 1, 1),
                kind=DayKind.HOLIDAY,
                name="Tết Dương lịch",
                source="Bộ luật Lao động 2019",
                confirmed=True,
            ),
        )
    assert path.read_text(encoding="utf-8") == before


def test_a_change_moves_open_deadlines_and_never_reopens_a_passed_one() -> None:
    """`calendar apply`: an open deadline whose last day becomes a day off moves to the next
    working day; one that had already passed stays as it was and is reported as passed."""
    entered = datetime(2026, 12, 7, 9, tzinfo=VIETNAM_TZ)
    clock = LegalClock(origin=entered)
    rule = _rule(3, W, DeadlineKind.MAXIMUM)
    old = deadline_from("reply", rule, entered, clock, CAL)
    assert old.counted.due == date(2026, 12, 10)
    day_off = CalendarDay(
        day=date(2026, 12, 10), kind=DayKind.HOLIDAY, name="Nghỉ đột xuất", source="TB 1/2026",
        confirmed=True,
    )  # fmt: skip
    changed = OFFICIAL.model_copy(
        update={"years": {**OFFICIAL.years, 2026: (*OFFICIAL.years[2026], day_off)}}
    )
    new_calendar = LegalCalendar(official=changed)
    change = CalendarChange(official=changed, announcement="TB 1/2026", operator="ops.oncall")

    def recount(dl: StageDeadline) -> StageDeadline:
        return deadline_from(dl.stage, dl.rule, dl.anchored_at, clock, new_calendar)

    updated, [moved] = reproject({"reply": old}, recount, now=entered + timedelta(days=1))
    assert updated["reply"].counted.due == moved.new_due == date(2026, 12, 11)
    assert (moved.old_due, moved.passed) == (date(2026, 12, 10), False)
    assert "10/12/2026 → 11/12/2026" in audit_note(change, [moved])

    late, [kept] = reproject({"reply": old}, recount, now=old.due + timedelta(hours=1))
    assert late == {}
    assert kept.passed
    assert "giữ nguyên" in kept.describe()
