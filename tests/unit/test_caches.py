"""The caches that keep YAML parsing and holiday tables off the hot path (issue #8, P1 and
P4): a file is parsed once per version and again when it changes; holiday tables are shared
by every calendar and do not carry one calendar's own days off into another."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
import yaml

from activities.post_issuance import cached_directory, cached_rules
from models import calendar as calendar_module
from models.actors import DIRECTORY_FILE, YAML_LOADER
from models.calendar import DayUnit, LegalCalendar
from models.official_calendar import load_calendar
from models.post_issuance import RULES_FILE, RULES_FILE_VARIABLE


def _copy(source: Path, target: Path) -> Path:
    target.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return target


def _bump_mtime(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_libyaml_loader_is_used_when_available() -> None:
    assert YAML_LOADER is getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def test_directory_is_parsed_once_per_file_version(tmp_path: Path) -> None:
    path = _copy(DIRECTORY_FILE, tmp_path / "actors.yaml")
    first = cached_directory(path)
    assert cached_directory(path) is first  # same version: no new parse

    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["people"][0]["name"] = "Tên mới"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    _bump_mtime(path)
    edited = cached_directory(path)
    assert edited is not first
    assert edited.people[0].name == "Tên mới"
    assert cached_directory(path) is edited


def test_default_directory_is_the_bundled_one() -> None:
    assert cached_directory() is cached_directory(DIRECTORY_FILE)


def test_rules_follow_the_deployment_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _copy(RULES_FILE, tmp_path / "rules.yaml")
    monkeypatch.setenv(RULES_FILE_VARIABLE, str(path))
    first = cached_rules()
    assert cached_rules() is first

    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["check"]["procedure"]["time_limits"]["handling"]["limit"]["days"] = 46
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    _bump_mtime(path)
    assert cached_rules().check.procedure.time_limits["handling"].limit.days == 46


def test_invalid_rules_are_not_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("check: [\n", encoding="utf-8")
    monkeypatch.setenv(RULES_FILE_VARIABLE, str(path))
    with pytest.raises(ValueError, match="invalid post-issuance rules"):
        cached_rules()
    _copy(RULES_FILE, path)
    _bump_mtime(path)
    assert cached_rules().check.procedure.time_limits["handling"].limit.days > 0
    monkeypatch.setenv(RULES_FILE_VARIABLE, str(tmp_path / "missing.yaml"))
    with pytest.raises(ValueError, match=r"missing\.yaml"):
        cached_rules()


def test_holiday_tables_are_shared_between_calendars() -> None:
    official = load_calendar()
    a = LegalCalendar(official=official)
    b = LegalCalendar(extra_days_off={date(2031, 11, 3): "Nghỉ đặc biệt"}, official=official)
    a.add(date(2031, 10, 30), 5, DayUnit.WORKING)
    table = calendar_module._PROJECTED_BY_YEAR[2031]
    b.add(date(2031, 10, 30), 5, DayUnit.WORKING)
    assert calendar_module._PROJECTED_BY_YEAR[2031] is table
    # One calendar's own days off stay its own.
    assert b.day_off_reason(date(2031, 11, 3)) == "Nghỉ đặc biệt"
    assert a.day_off_reason(date(2031, 11, 3)) is None
    with pytest.raises(TypeError):
        table[date(2031, 11, 3)] = table[date(2031, 9, 2)]  # type: ignore[index]
