"""After issuance, without a server: the rules file and its validation, who holds each
post-issuance role by tier, the report cycle, a check's conclusion, the report's text, and
the procedure data that publishes the signed text and starts monitoring."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from models.actors import load_directory
from models.choices import Handling, Outcome
from models.definition import Level, ProcessDefinition
from models.legality_check import Conclusion
from models.monitoring import Counts, MonitoringReport, OpenFeedback, Period
from models.monitoring_report import tables, to_markdown
from models.post_issuance import RULES_FILE, DocumentInfo, load_rules, resolve_people
from models.registry import load_registry

RULES = load_rules()
DIRECTORY = load_directory()
REGISTRY = load_registry()


def _raw() -> dict[str, Any]:
    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_feedback_figures_carry_their_basis_and_confirmation() -> None:
    fb = RULES.feedback
    assert (fb.forward.days, fb.forward.unit.value, fb.forward.confirmed) == (2, "working", True)
    assert (fb.answer.days, fb.answer.unit.value, fb.answer.confirmed) == (15, "calendar", True)
    for dl in (fb.forward, fb.answer):
        assert "Công điện 89/CĐ-TTg" in dl.basis
    # The handling deadline of a check is not sourced: marked so.
    assert RULES.check.handling.confirmed is False
    assert all(not p.deadline.confirmed for p in RULES.monitoring.plan)
    assert RULES.monitoring.report.confirmed is False


def test_invalid_rules_are_refused_naming_the_field(tmp_path: Path) -> None:
    data = _raw()
    data["feedback"]["answer"]["kind"] = "minimum"
    del data["roles"]["checker"]["where"]["commune"]
    with pytest.raises(ValueError, match=r"feedback\.answer\.kind") as err:
        load_rules(_write(tmp_path, data))
    assert "roles.checker.where" in str(err.value)
    data = _raw()
    del data["feedback"]["forward"]["basis"]
    with pytest.raises(ValueError, match="basis"):
        load_rules(_write(tmp_path, data))


def test_a_deployment_may_override_the_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _raw()
    data["check"]["handling"]["days"] = 45
    monkeypatch.setenv("LEGISFLOW_POST_ISSUANCE_FILE", str(_write(tmp_path, data)))
    assert load_rules().check.handling.days == 45


@pytest.mark.parametrize(
    ("doc_type", "agency", "officers", "checkers", "higher", "issuers", "answerers"),
    [
        (
            "qd_ubnd_tinh",
            "so-xd-daklak",
            ["au.van.manh"],
            ["ta.quang.kien"],
            ["quan.van.nghi"],
            ["bui.van.khoa"],
            ["luc.thi.ngoc", "tran.van.cuong"],
        ),
        (
            "nq_hdnd_tinh",
            "so-xd-daklak",
            ["au.van.manh"],
            ["ta.quang.kien"],
            ["quan.van.nghi"],
            ["truong.van.phuc"],
            ["luc.thi.ngoc", "tran.van.cuong"],
        ),
        (
            "qd_ubnd_xa",
            "phong-kt-hoa-phu",
            ["au.van.manh"],
            ["hua.thi.loan"],
            ["ninh.thi.que"],
            ["cao.van.bao"],
            ["giang.van.dat", "phan.van.thang"],
        ),
        (
            "thong_tu",
            "cuc-qlhdxd-bxd",
            ["le.van.theo"],
            ["ta.quang.kien"],
            ["quan.van.nghi"],
            ["giap.van.phong"],
            ["van.thi.bich", "khuc.van.khai"],
        ),
    ],
)
def test_people_by_tier(
    doc_type: str,
    agency: str,
    officers: list[str],
    checkers: list[str],
    higher: list[str],
    issuers: list[str],
    answerers: list[str],
) -> None:
    """A provincial document is checked nationally (Cục Kiểm tra VBQPPL), a commune one by
    the province's Sở Tư pháp; its issuer answers the check; its drafting agency answers
    feedback."""
    definition = REGISTRY.get(doc_type)
    people = resolve_people(
        DIRECTORY,
        RULES,
        level=definition.level,
        drafting_agency=agency,
        case_assignments=DIRECTORY.assign_roles(definition, agency),
    )
    assert [a.id for a in people.monitoring_officers] == officers
    assert [a.id for a in people.checkers] == checkers
    assert [a.id for a in people.higher_authority] == higher
    assert [a.id for a in people.issuers] == issuers
    assert people.feedback.answerers == answerers
    assert people.feedback.id == agency
    assert "so-nn-daklak" in people.staffed
    assert "legisflow-ops" in people.agencies
    assert "legisflow-ops" not in people.staffed


def test_report_cut_off_is_the_next_14_december() -> None:
    cycle = RULES.monitoring.report
    assert cycle.next_cutoff(date(2026, 11, 22)) == date(2026, 12, 14)
    assert cycle.next_cutoff(date(2026, 12, 14)) == date(2027, 12, 14)
    assert cycle.next_cutoff(date(2026, 12, 15)) == date(2027, 12, 14)


def test_a_conclusion_names_what_is_unlawful_its_basis_and_the_handling() -> None:
    Conclusion(actor="x", outcome=Outcome.CLEAN)
    with pytest.raises(ValueError, match=r"findings.*basis.*handling"):
        Conclusion(actor="x", outcome=Outcome.UNLAWFUL)
    with pytest.raises(ValueError, match="no handling"):
        Conclusion(actor="x", outcome=Outcome.CLEAN, handling=(Handling.ANNUL,))
    done = Conclusion(
        actor="x",
        outcome=Outcome.UNLAWFUL,
        findings="Điều 2",
        basis="Luật 64/2025/QH15",
        handling=(Handling.ANNUL,),
    )
    assert done.handling == (Handling.ANNUL,)


def test_report_text_has_the_counts_and_every_open_case() -> None:
    counts = Counts(feedback_received=7, feedback_answered=5, feedback_forwarded=1)
    counts.events["inspection"] = 2
    report = MonitoringReport(
        monitoring_id="a:b/monitoring",
        document=DocumentInfo(
            case_id="a:b",
            title="Quy định X",
            doc_type="qd_ubnd_tinh",
            doc_name="Quyết định",
            regime="L2025_A87",
            level=Level.LOCAL,
            drafting_agency="so-xd-daklak",
            drafting_agency_name="Sở Xây dựng",
        ),
        kind="yearly",
        period=Period(index=3, start=date(2027, 12, 15), cutoff=date(2028, 12, 14), counts=counts),
        totals=counts,
        open_feedback=[
            OpenFeedback(
                id="a:b/monitoring/feedback/9",
                agency="so-xd-daklak",
                stage="s",
                received=date(2028, 1, 2),
                overdue=True,
            )
        ],
        plan=[],
        checks=[],
        links=[],
        status="in_force",
        made_on=date(2028, 12, 15),
    )
    md = to_markdown(report)
    assert md.startswith("# BÁO CÁO TÌNH HÌNH THEO DÕI THI HÀNH VĂN BẢN NĂM 2028")
    assert "received 7, answered 5 (late 0), forwarded 1" in md
    assert "still open 1" in md
    assert "| a:b/monitoring/feedback/9 | so-xd-daklak | 02/01/2028 | s | x |" in md
    figures = {row[0]: row[1:] for row in tables(report)[0].rows}
    assert figures["feedback_received"] == ("7", "7")
    assert figures["events.inspection"] == ("2", "2")


@pytest.mark.parametrize("definition", list(REGISTRY), ids=lambda d: d.key)
def test_signed_text_goes_to_the_cong_bao_and_entry_into_force_starts_monitoring(
    definition: ProcessDefinition,
) -> None:
    """Every stage entered by sending to the gazette posts the latest version (the signed
    text) in the Công báo; every in-force stage starts the document's monitoring."""
    for t in definition.transitions:
        if t.action == "send_to_gazette":
            assert definition.stages[t.dest].publish == "cong_bao", t.dest
    monitored = [n for n, s in definition.stages.items() if s.monitor]
    assert monitored == ["in_force"]


def test_monitoring_only_from_a_final_stage() -> None:
    d = REGISTRY.get("qd_ubnd_tinh")
    data = d.model_dump(by_alias=True)
    data["stages"]["publication"]["monitor"] = True
    with pytest.raises(ValueError, match=r"stages\.publication\.monitor: only a final stage"):
        ProcessDefinition.model_validate(data)
