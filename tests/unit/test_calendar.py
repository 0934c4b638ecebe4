"""Unit tests for the legal calendar (lịch pháp lý)."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import calendar as calendar_module
from models.calendar import DayUnit, DeadlineResult, LegalCalendar, SkippedDay

CAL = LegalCalendar()


def _days(result: DeadlineResult) -> list[date]:
    return [s.day for s in result.skipped]


# --- 24/11 Vietnam Cultural Day --------------------------------------------------------------


def test_vietnam_cultural_day_is_skipped() -> None:
    result = CAL.add(date(2026, 11, 20), 3, DayUnit.WORKING)  # Friday
    assert result.due == date(2026, 11, 26)
    assert result.skipped == (
        SkippedDay(date(2026, 11, 21), "Saturday"),
        SkippedDay(date(2026, 11, 22), "Sunday"),
        SkippedDay(date(2026, 11, 24), "Vietnam Cultural Day"),
    )
    text = result.explain()
    assert "2026-11-24" in text
    assert "Vietnam Cultural Day" in text
    assert text == (
        "3 working days from 2026-11-20 → 2026-11-26; skipped 2026-11-21 Saturday, "
        "2026-11-22 Sunday, 2026-11-24 Vietnam Cultural Day"
    )


def test_ten_working_days_across_cultural_day() -> None:
    result = CAL.add(date(2026, 11, 20), 10, DayUnit.WORKING)
    assert result.due == date(2026, 12, 7)
    assert _days(result) == [
        date(2026, 11, 21),
        date(2026, 11, 22),
        date(2026, 11, 24),
        date(2026, 11, 28),
        date(2026, 11, 29),
        date(2026, 12, 5),
        date(2026, 12, 6),
    ]
    assert result.explain().startswith("10 working days from 2026-11-20 → 2026-12-07; skipped ")


def test_cultural_day_reason_and_neighbours() -> None:
    assert CAL.day_off_reason(date(2026, 11, 24)) == "Vietnam Cultural Day"
    assert not CAL.is_working_day(date(2026, 11, 24))
    assert CAL.is_working_day(date(2026, 11, 23))
    assert CAL.is_working_day(date(2026, 11, 25))
    assert CAL.day_off_reason(date(2026, 11, 25)) is None


# --- Tết ---------------------------------------------------------------------------------------

TET_2026_SKIPPED = [date(2026, 2, d) for d in range(14, 23)]  # Sat 14 .. Sun 22


def test_tet_2026_one_working_day() -> None:
    result = CAL.add(date(2026, 2, 13), 1, DayUnit.WORKING)  # Friday before Tết
    assert result.due == date(2026, 2, 23)  # Monday
    assert _days(result) == TET_2026_SKIPPED
    reasons = {s.day: s.reason for s in result.skipped}
    assert reasons[date(2026, 2, 14)] == "Saturday"
    assert reasons[date(2026, 2, 15)] == "Sunday"
    assert reasons[date(2026, 2, 16)] == "Lunar New Year's Eve"
    assert reasons[date(2026, 2, 17)] == "Lunar New Year"
    assert reasons[date(2026, 2, 20)] == "Fourth Day of Lunar New Year"
    assert reasons[date(2026, 2, 21)] == "Saturday"
    assert reasons[date(2026, 2, 22)] == "Sunday"
    assert all(not CAL.is_working_day(d) for d in TET_2026_SKIPPED)


def test_tet_2026_five_working_days() -> None:
    # Thu 12 -> Fri 13 (1), Tết + weekends skipped, Mon 23 (2), 24 (3), 25 (4), Thu 26 (5)
    result = CAL.add(date(2026, 2, 12), 5, DayUnit.WORKING)
    assert result.due == date(2026, 2, 26)
    assert _days(result) == TET_2026_SKIPPED


def test_tet_2027_crossing() -> None:
    # holidays.VN: Tết 2027 off from Thu 2027-02-04 to Wed 2027-02-10 (weekend inside it).
    result = CAL.add(date(2027, 2, 2), 3, DayUnit.WORKING)  # Tuesday
    # Wed 03 (1), 04..10 skipped, Thu 11 (2), Fri 12 (3)
    assert result.due == date(2027, 2, 12)
    assert len(result.skipped) == 7
    assert _days(result) == [date(2027, 2, d) for d in range(4, 11)]
    reasons = {s.day: s.reason for s in result.skipped}
    assert reasons[date(2027, 2, 4)] == "29 of Lunar New Year"
    # weekend days inside Tết report the holiday name, not "Saturday"/"Sunday"
    assert reasons[date(2027, 2, 6)] == "Lunar New Year"
    assert reasons[date(2027, 2, 7)] == "Second Day of Lunar New Year"
    assert reasons[date(2027, 2, 10)] == "Fifth Day of Lunar New Year"


def test_crossing_new_year_loads_next_year() -> None:
    # Thu 2026-12-31 + 1 working day: Fri 2027-01-01 is New Year's Day, then weekend.
    result = CAL.add(date(2026, 12, 31), 1, DayUnit.WORKING)
    assert result.due == date(2027, 1, 4)
    assert result.skipped == (
        SkippedDay(date(2027, 1, 1), "New Year's Day"),
        SkippedDay(date(2027, 1, 2), "Saturday"),
        SkippedDay(date(2027, 1, 3), "Sunday"),
    )


# --- Hùng Kings -------------------------------------------------------------------------------


def test_hung_kings_2026_sunday_and_observed_monday() -> None:
    assert CAL.day_off_reason(date(2026, 4, 26)) == "Hung Kings' Commemoration Day"
    assert CAL.day_off_reason(date(2026, 4, 27)) == "Hung Kings' Commemoration Day (observed)"
    result = CAL.add(date(2026, 4, 24), 1, DayUnit.WORKING)  # Friday
    assert result.due == date(2026, 4, 28)
    assert result.skipped == (
        SkippedDay(date(2026, 4, 25), "Saturday"),
        SkippedDay(date(2026, 4, 26), "Hung Kings' Commemoration Day"),
        SkippedDay(date(2026, 4, 27), "Hung Kings' Commemoration Day (observed)"),
    )


def test_reunification_and_labour_day_2026() -> None:
    # Tue 28 (1), Wed 29 (2), Thu 30/4 + Fri 1/5 + weekend skipped, Mon 4/5 (3)
    result = CAL.add(date(2026, 4, 24), 3, DayUnit.WORKING)
    assert result.due == date(2026, 5, 4)
    assert _days(result) == [
        date(2026, 4, 25),
        date(2026, 4, 26),
        date(2026, 4, 27),
        date(2026, 4, 30),
        date(2026, 5, 1),
        date(2026, 5, 2),
        date(2026, 5, 3),
    ]


# --- calendar days ----------------------------------------------------------------------------


def test_calendar_days_ignore_holidays() -> None:
    result = CAL.add(date(2026, 11, 20), 30, DayUnit.CALENDAR)
    assert result.due == date(2026, 12, 20)
    assert result.skipped == ()
    assert result.explain() == "30 calendar days from 2026-11-20 → 2026-12-20"
    assert result.explain_vi() == "30 ngày kể từ 20/11/2026 → 20/12/2026"


def test_calendar_days_through_tet() -> None:
    result = CAL.add(date(2026, 2, 13), 5, DayUnit.CALENDAR)
    assert result.due == date(2026, 2, 18)  # lands on a Tết day: calendar days don't care
    assert result.skipped == ()


def test_unit_accepts_string_value() -> None:
    result = CAL.add(date(2026, 11, 20), 3, DayUnit("working"))
    assert result.unit is DayUnit.WORKING
    assert result.due == date(2026, 11, 26)
    assert DayUnit.WORKING.value == "working"
    assert isinstance(DayUnit.CALENDAR, str)


# --- deployment swaps -------------------------------------------------------------------------


def test_extra_day_off_with_label() -> None:
    label = "Nghỉ bù theo Quyết định 123/QĐ-TTg"
    cal = LegalCalendar(extra_days_off={date(2026, 11, 23): label})
    assert cal.day_off_reason(date(2026, 11, 23)) == label
    assert CAL.is_working_day(date(2026, 11, 23))  # the default calendar is unaffected
    result = cal.add(date(2026, 11, 20), 1, DayUnit.WORKING)
    assert result.due == date(2026, 11, 25)
    assert result.skipped == (
        SkippedDay(date(2026, 11, 21), "Saturday"),
        SkippedDay(date(2026, 11, 22), "Sunday"),
        SkippedDay(date(2026, 11, 23), label),
        SkippedDay(date(2026, 11, 24), "Vietnam Cultural Day"),
    )
    assert label in result.explain()


def test_extra_working_day_saturday_counts() -> None:
    # 2026-08-22 is a Saturday worked in exchange for the 2026-08-31 day off.
    swap = date(2026, 8, 22)
    assert swap.weekday() == 5
    assert CAL.add(date(2026, 8, 21), 1, DayUnit.WORKING).due == date(2026, 8, 24)
    cal = LegalCalendar(extra_working_days=[swap])
    assert cal.is_working_day(swap)
    assert cal.day_off_reason(swap) is None
    result = cal.add(date(2026, 8, 21), 1, DayUnit.WORKING)
    assert result.due == swap
    assert result.skipped == ()
    # the substituted day off itself stays a day off
    assert cal.day_off_reason(date(2026, 8, 31)) == "Day off (substituted from 08/22/2026)"


def test_extra_working_day_overrides_holiday_and_extra_day_off() -> None:
    day = date(2026, 11, 24)
    cal = LegalCalendar(extra_days_off={day: "label"}, extra_working_days={day})
    assert cal.is_working_day(day)
    assert cal.add(date(2026, 11, 23), 1, DayUnit.WORKING).due == day


# --- edge cases -------------------------------------------------------------------------------


@pytest.mark.parametrize("unit", list(DayUnit))
def test_zero_days(unit: DayUnit) -> None:
    start = date(2026, 11, 21)  # a Saturday: still due == start
    result = CAL.add(start, 0, unit)
    assert result.due == start
    assert result.skipped == ()
    assert result.days == 0
    assert result.unit is unit


@pytest.mark.parametrize("unit", list(DayUnit))
def test_negative_days_rejected(unit: DayUnit) -> None:
    with pytest.raises(ValueError, match="must be >= 0"):
        CAL.add(date(2026, 11, 20), -1, unit)


def test_start_on_holiday_is_not_counted() -> None:
    # start on Tết: counting starts the next day
    result = CAL.add(date(2026, 2, 17), 1, DayUnit.WORKING)
    assert result.due == date(2026, 2, 23)
    assert result.skipped[0].day == date(2026, 2, 18)


def test_holiday_names_do_not_depend_on_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "vi_VN.UTF-8")
    monkeypatch.setenv("LC_ALL", "vi_VN.UTF-8")
    cal = LegalCalendar()
    assert cal.day_off_reason(date(2026, 11, 24)) == "Vietnam Cultural Day"


def test_holiday_tables_cached_per_year(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    real = holidays.country_holidays

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(kwargs.get("years"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(holidays, "country_holidays", counting)
    monkeypatch.setattr(calendar_module, "_HOLIDAYS_BY_YEAR", {})  # a fresh shared cache
    cal = LegalCalendar()
    for _ in range(20):
        cal.add(date(2026, 12, 1), 60, DayUnit.WORKING)
    assert sorted(calls) == [2026, 2027]  # type: ignore[type-var]
    # Shared between calendars: another case's calendar loads nothing again.
    LegalCalendar(extra_working_days=[date(2026, 12, 5)]).add(
        date(2026, 12, 1), 60, DayUnit.WORKING
    )
    assert sorted(calls) == [2026, 2027]  # type: ignore[type-var]


# --- explain_vi -------------------------------------------------------------------------------


def test_explain_vi_working_days() -> None:
    result = CAL.add(date(2026, 11, 20), 3, DayUnit.WORKING)
    assert result.explain_vi() == (
        "3 ngày làm việc kể từ 20/11/2026 → 26/11/2026; bỏ qua: 21/11/2026 (Thứ Bảy), "
        "22/11/2026 (Chủ Nhật), 24/11/2026 (Ngày Văn hóa Việt Nam)"
    )


def test_explain_vi_observed_and_deployment_label() -> None:
    cal = LegalCalendar(extra_days_off={date(2026, 4, 28): "Nghỉ theo quyết định"})
    text = cal.add(date(2026, 4, 24), 1, DayUnit.WORKING).explain_vi()
    assert text == (
        "1 ngày làm việc kể từ 24/04/2026 → 29/04/2026; bỏ qua: 25/04/2026 (Thứ Bảy), "
        "26/04/2026 (Ngày Giỗ Tổ Hùng Vương), 27/04/2026 (Ngày Giỗ Tổ Hùng Vương (nghỉ bù)), "
        "28/04/2026 (Nghỉ theo quyết định)"
    )


def test_explain_vi_substituted_day() -> None:
    text = CAL.add(date(2026, 8, 28), 1, DayUnit.WORKING).explain_vi()
    assert "31/08/2026 (Ngày nghỉ (thay cho ngày 22/08/2026))" in text
    assert "01/09/2026 (Quốc khánh)" in text


def test_explain_singular_and_no_skips() -> None:
    result = CAL.add(date(2026, 11, 18), 1, DayUnit.WORKING)
    assert result.explain() == "1 working day from 2026-11-18 → 2026-11-19"
    assert result.explain_vi() == "1 ngày làm việc kể từ 18/11/2026 → 19/11/2026"


# --- property tests ---------------------------------------------------------------------------

_starts = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))
_swap_days = st.sets(_starts, max_size=5)


@settings(max_examples=300, deadline=None)
@given(
    start=_starts,
    days=st.integers(min_value=0, max_value=80),
    extra_off=_swap_days,
    extra_working=_swap_days,
)
def test_working_day_properties(
    start: date, days: int, extra_off: set[date], extra_working: set[date]
) -> None:
    cal = LegalCalendar(
        extra_days_off={d: "deployment day off" for d in extra_off},
        extra_working_days=extra_working,
    )
    result = cal.add(start, days, DayUnit.WORKING)
    assert result.start == start
    assert result.days == days
    assert result.due >= start
    if days == 0:
        assert result.due == start
        assert result.skipped == ()
        return
    assert cal.is_working_day(result.due)
    window = [start + timedelta(days=i) for i in range(1, (result.due - start).days + 1)]
    working = [d for d in window if cal.is_working_day(d)]
    assert len(working) == days
    not_counted = [d for d in window if not cal.is_working_day(d)]
    assert _days(result) == not_counted
    for skipped in result.skipped:
        assert skipped.reason == cal.day_off_reason(skipped.day)
        assert skipped.reason
    for d in extra_working:
        assert cal.is_working_day(d)


@settings(max_examples=200, deadline=None)
@given(start=_starts, days=st.integers(min_value=0, max_value=400))
def test_calendar_day_properties(start: date, days: int) -> None:
    result = CAL.add(start, days, DayUnit.CALENDAR)
    assert (result.due - start).days == days
    assert result.skipped == ()
