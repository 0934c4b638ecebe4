"""`legisflow calendar`: a year's days off and make-up working days with their sources, and
recording an announcement with the same file-and-field errors as the procedures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from models.official_calendar import CALENDAR_FILE, load_calendar
from tests.unit.test_cli_offline import assert_one_line_error, legisflow


def _copy(tmp_path: Path) -> Path:
    path = tmp_path / "lich.yaml"
    shutil.copy(CALENDAR_FILE, path)
    return path


def test_show_prints_the_year_with_sources(tmp_path: Path) -> None:
    run = legisflow(tmp_path, "calendar", "show", "2026")
    assert run.code == 0, run
    assert "Lịch nghỉ 2026" in run.stdout
    assert "dự kiến" not in run.stdout.splitlines()[0]
    # The New Year swap, both ways, with the instrument.
    lines = run.stdout.splitlines()
    swap = [ln for ln in lines if "02/01/2026" in ln and "nghỉ bù" in ln]
    worked = [ln for ln in lines if "10/01/2026" in ln and "làm bù" in ln]
    assert swap
    assert "12729/VPCP-KGVX" in swap[0]
    assert worked
    assert "12729/VPCP-KGVX" in worked[0]
    assert "thứ Bảy 10/01/2026" in worked[0]
    # Only 2026: the next New Year's Day is not listed.
    assert "01/01/2027" not in run.stdout


def test_a_year_not_announced_is_shown_as_projected(tmp_path: Path) -> None:
    run = legisflow(tmp_path, "calendar", "show", "2027", "--json")
    assert run.code == 0, run
    shown = json.loads(run.stdout)
    assert shown["announced"] is False
    assert {d["date"] for d in shown["days"]} >= {"2027-01-01", "2027-09-02"}
    assert all(d["confirmed"] is False for d in shown["days"])
    text = legisflow(tmp_path, "calendar", "show", "2027").stdout
    assert "dự kiến, chưa có thông báo chính thức" in text


def test_add_records_an_announcement_in_the_configured_file(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    run = legisflow(
        tmp_path,
        "calendar", "add", "02/01/2027", "working_day",
        "--name", "Làm bù cho ngày nghỉ thứ Hai 04/01/2027",
        "--source", "Công văn 99/VPCP-KGVX (thử nghiệm)",
        LEGISFLOW_CALENDAR_FILE=str(path),
    )  # fmt: skip
    assert run.code == 0, run
    assert "recorded in" in run.stdout
    entry = load_calendar(path).day(load_calendar(path).years[2027][0].day)
    assert entry is not None
    assert entry.source == "Công văn 99/VPCP-KGVX (thử nghiệm)"
    shown = legisflow(tmp_path, "calendar", "show", "2027", LEGISFLOW_CALENDAR_FILE=str(path))
    assert "Lịch nghỉ 2027 / Official calendar 2027" in shown.stdout
    assert "Công văn 99/VPCP-KGVX" in shown.stdout


def test_a_bad_announcement_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    before = path.read_text(encoding="utf-8")
    env = {"LEGISFLOW_CALENDAR_FILE": str(path)}
    weekday = legisflow(
        tmp_path, "calendar", "add", "05/01/2026", "working_day",
        "--name", "Làm bù", "--source", "Công văn 1/2026", **env,
    )  # fmt: skip
    assert_one_line_error(weekday, "lich.yaml: kind:", "05/01/2026 is a weekday")
    twice = legisflow(
        tmp_path, "calendar", "add", "2026-01-01", "holiday",
        "--name", "Tết Dương lịch", "--source", "Bộ luật Lao động 2019", **env,
    )  # fmt: skip
    assert_one_line_error(twice, "01/01/2026 is already recorded")
    bad_date = legisflow(
        tmp_path, "calendar", "add", "31/02/2026", "holiday",
        "--name", "Nghỉ", "--source", "Công văn 1/2026", **env,
    )  # fmt: skip
    assert_one_line_error(bad_date, "'31/02/2026' is not a date")
    assert path.read_text(encoding="utf-8") == before


def test_a_broken_calendar_file_is_named_with_its_field(tmp_path: Path) -> None:
    path = tmp_path / "lich.yaml"
    path.write_text(
        CALENDAR_FILE.read_text(encoding="utf-8").replace("kind: working_day", "kind: làm_bù", 1),
        encoding="utf-8",
    )
    run = legisflow(tmp_path, "calendar", "show", "2026", LEGISFLOW_CALENDAR_FILE=str(path))
    assert_one_line_error(run, "lich.yaml: years.2025.7.kind:")
