"""The directory of agencies and people, and who holds which role in a case."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from models.actors import DIRECTORY_FILE, Directory, load_directory, missing_roles
from models.registry import load_registry

DEFINITION = load_registry().get("qd_ubnd_tinh", "L2025_A87")
DIRECTORY = load_directory()


def _ids(refs: list[Any]) -> list[str]:
    return [r.id for r in refs]


def _raw() -> dict[str, Any]:
    data = yaml.safe_load(DIRECTORY_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _write(tmp_path: Path, data: dict[str, Any], name: str = "people.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_directory_loads() -> None:
    agency_ids = {a.id for a in DIRECTORY.agencies}
    assert {"so-xd-daklak", "stp-daklak", "ubnd-daklak", "so-xd-sonla", "legisflow-ops"} <= (
        agency_ids
    )
    assert all(p.agency in agency_ids for p in DIRECTORY.people)
    cuong = DIRECTORY.person("tran.van.cuong")
    assert cuong.name == "Trần Văn Cường"
    assert set(cuong.roles) == {"drafter", "drafting_head"}
    assert DIRECTORY.agency("stp-daklak").kind == "justice"
    assert DIRECTORY.agency("legisflow-ops").jurisdiction is None


def test_assign_roles_for_a_daklak_department() -> None:
    roles = DIRECTORY.assign_roles(DEFINITION, "so-xd-daklak")
    assert set(roles) == set(DEFINITION.roles)
    # Drafting roles: the drafting agency only (not so-nn-daklak's or Sơn La's drafters).
    assert _ids(roles["drafter"]) == ["nguyen.van.an", "le.thi.binh", "tran.van.cuong"]
    assert {r.agency for r in roles["drafter"]} == {"so-xd-daklak"}
    assert _ids(roles["drafting_head"]) == ["tran.van.cuong"]
    # Appraisal: the justice department of the same province.
    assert _ids(roles["appraiser"]) == ["pham.thi.dung", "hoang.van.em"]
    assert {r.agency for r in roles["appraiser"]} == {"stp-daklak"}
    assert _ids(roles["appraisal_head"]) == ["hoang.van.em"]
    assert _ids(roles["signer"]) == ["bui.van.khoa"]
    assert _ids(roles["gazette"]) == ["ngo.thi.lan"]
    # Ops: the agency that serves every province.
    assert _ids(roles["ops"]) == ["ops.oncall"]
    assert roles["ops"][0].agency == "legisflow-ops"
    # What the case records carries contact details for notifications.
    assert roles["appraiser"][0].email == "dung.pt@stp.daklak.example"
    assert roles["appraiser"][0].name == "Phạm Thị Dung"
    assert missing_roles(roles, list(DEFINITION.roles)) == []


def test_another_daklak_department_has_its_own_drafters() -> None:
    roles = DIRECTORY.assign_roles(DEFINITION, "so-nn-daklak")
    assert _ids(roles["drafter"]) == ["dinh.thi.hoa"]
    assert _ids(roles["drafting_head"]) == ["pham.van.hung"]
    assert _ids(roles["appraiser"]) == ["pham.thi.dung", "hoang.van.em"]


def test_a_department_in_another_province_gets_no_daklak_officials() -> None:
    roles = DIRECTORY.assign_roles(DEFINITION, "so-xd-sonla")
    assert _ids(roles["drafter"]) == ["mai.van.minh"]
    for role in ("appraiser", "appraisal_head", "committee_office", "signer", "gazette"):
        assert roles[role] == [], role
    assert _ids(roles["ops"]) == ["ops.oncall"]
    assert missing_roles(roles, list(DEFINITION.roles)) == [
        "drafting_head",
        "appraiser",
        "appraisal_head",
        "committee_office",
        "office_head",
        "signer",
        "gazette",
        "front_committee",
        "affected_group",
    ]


def test_unknown_person_is_a_helpful_key_error() -> None:
    with pytest.raises(KeyError) as exc:
        DIRECTORY.person("nguyen.van.x")
    assert "nguyen.van.x" in str(exc.value)
    assert "legisflow actors" in str(exc.value)


def test_unknown_drafting_agency_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="so-xx-daklak"):
        DIRECTORY.assign_roles(DEFINITION, "so-xx-daklak")


def test_duplicate_person_ids_are_rejected(tmp_path: Path) -> None:
    raw = _raw()
    raw["people"].append(dict(raw["people"][0], name="Người khác"))
    path = _write(tmp_path, raw)
    with pytest.raises(ValueError, match=r"duplicate person ids: nguyen\.van\.an") as exc:
        load_directory(path)
    assert "people.yaml" in str(exc.value)


def test_duplicate_agency_ids_are_rejected(tmp_path: Path) -> None:
    raw = _raw()
    raw["agencies"].append(dict(raw["agencies"][0]))
    with pytest.raises(ValueError, match=r"duplicate agency ids: so-xd-daklak"):
        load_directory(_write(tmp_path, raw))


def test_person_of_an_unknown_agency_is_rejected(tmp_path: Path) -> None:
    raw = _raw()
    raw["people"][1]["agency"] = "so-ma"
    with pytest.raises(ValueError, match=r"people\[1\] \(le.thi.binh\).agency: unknown agency"):
        load_directory(_write(tmp_path, raw))


def test_unknown_field_and_bad_yaml_are_rejected(tmp_path: Path) -> None:
    raw = _raw()
    raw["people"][0]["phone"] = "0900000000"
    with pytest.raises(ValueError, match="phone"):
        load_directory(_write(tmp_path, raw))
    bad = tmp_path / "bad.yaml"
    bad.write_text("agencies: [\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"^bad\.yaml: not valid YAML"):
        load_directory(bad)


def test_directory_validates_when_built_in_code() -> None:
    with pytest.raises(ValueError, match="duplicate agency ids: a"):
        Directory.model_validate(
            {
                "agencies": [
                    {"id": "a", "name": "A", "kind": "drafting"},
                    {"id": "a", "name": "A2", "kind": "justice"},
                ],
                "people": [],
            }
        )
