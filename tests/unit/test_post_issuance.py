"""After issuance, without a server: the rules file and its validation, who holds each
post-issuance role by tier, the report cycle, a check's conclusion, the report's text, and
the procedure data that publishes the signed text and starts monitoring."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from models.actors import load_directory
from models.choices import Handling, Outcome
from models.counts import Counts
from models.definition import Level, ProcessDefinition
from models.legality_check import Conclusion
from models.monitoring import MonitoringReport, OpenFeedback, Period
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
    limits = RULES.feedback.procedure.time_limits
    forward, answer = limits["forward"].limit, limits["answer"].limit
    assert (forward.days, forward.unit.value, forward.confirmed) == (2, "working", True)
    assert (answer.days, answer.unit.value, answer.confirmed) == (15, "calendar", True)
    for dl in (forward, answer):
        assert "Công điện 89/CĐ-TTg" in dl.basis
    # The handling deadline of a check is not sourced: marked so.
    assert RULES.check.procedure.time_limits["handling"].limit.confirmed is False
    assert all(not p.deadline.confirmed for p in RULES.monitoring.plan)
    assert RULES.monitoring.report.confirmed is False


def test_invalid_rules_are_refused_naming_the_field(tmp_path: Path) -> None:
    data = _raw()
    data["feedback"]["procedure"]["time_limits"]["answer"]["limit"]["kind"] = "minimum"
    with pytest.raises(ValueError, match=r"feedback\.procedure\.time_limits\.answer\.limit\.kind"):
        load_rules(_write(tmp_path, data))
    data = _raw()
    del data["roles"]["checker"]["where"]["commune"]
    with pytest.raises(ValueError, match=r"roles\.checker\.where"):
        load_rules(_write(tmp_path, data))
    data = _raw()
    del data["feedback"]["procedure"]["time_limits"]["forward"]["limit"]["basis"]
    with pytest.raises(
        ValueError, match=r"feedback\.procedure\.time_limits\.forward\.limit\.basis: Field required"
    ):
        load_rules(_write(tmp_path, data))


def test_a_deployment_may_override_the_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _raw()
    data["check"]["procedure"]["time_limits"]["handling"]["limit"]["days"] = 45
    monkeypatch.setenv("LEGISFLOW_POST_ISSUANCE_FILE", str(_write(tmp_path, data)))
    assert load_rules().check.procedure.time_limits["handling"].limit.days == 45


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


# ---- the procedures after issuance are data, validated like the drafting definitions ---------


def _only_from_received(p: dict[str, Any]) -> list[dict[str, Any]]:
    """The forward and answer transitions, taken only from the first stage."""
    return [{**t, "from": ["feedback_received"]} for t in p["transitions"][1:]]


def _pause_and_resume() -> list[dict[str, Any]]:
    moves = [
        ("classify", "feedback_received", "feedback_in_handling"),
        ("pause", "feedback_in_handling", "feedback_paused"),
        ("resume", "feedback_paused", "feedback_in_handling"),
    ]
    return [
        {"action": a, "from": [f], "to": t, "role": "answerer", "label": a, "label_en": a}
        for a, f, t in moves
    ]


def _feedback_procedure(data: dict[str, Any]) -> dict[str, Any]:
    procedure: dict[str, Any] = data["feedback"]["procedure"]
    return procedure


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (
            lambda p: p["transitions"][0].update(to="feedback_classified"),
            "feedback.procedure.transitions[0] (classify).to: unknown stage 'feedback_classified'",
        ),
        (
            lambda p: p["transitions"][1].update(role="clerk"),
            "feedback.procedure.transitions[1] (forward).role: unknown role 'clerk'",
        ),
        (
            lambda p: p["time_limits"]["answer"].update(runs_in=["feedback_answerd"]),
            "feedback.procedure.time_limits.answer.runs_in[0]: unknown stage 'feedback_answerd'",
        ),
        (
            lambda p: p["time_limits"]["answer"].update(on_breach="escalate"),
            "feedback.procedure.time_limits.answer.on_breach: no system transition 'escalate'",
        ),
        (
            lambda p: p["stages"]["feedback_answered"].update(counts="feedback_replied"),
            "feedback.procedure.stages.feedback_answered.counts: 'feedback_replied' is not a count",
        ),
        (
            # In handling, a case could only be classified again: no way to answer or forward.
            lambda p: p.update(transitions=[p["transitions"][0], *_only_from_received(p)]),
            "feedback.procedure.stages.feedback_in_handling: dead end that is not final",
        ),
        (
            # In handling a case may be paused and resumed, but never answered or forwarded.
            lambda p: (
                p["stages"].update(feedback_paused={"label": "Tạm dừng", "label_en": "Paused"}),
                p.update(transitions=[*_pause_and_resume(), *_only_from_received(p)]),
            ),
            "feedback.procedure.stages feedback_in_handling, feedback_paused: no way out to a "
            "final stage",
        ),
    ],
    ids=["unknown_stage", "unknown_role", "limit_in_unknown_stage", "breach_without_action",
         "unknown_count", "dead_end", "trapped_cycle"],
)  # fmt: skip
def test_a_procedure_after_issuance_with_a_mistake_fails_loading_naming_the_field(
    tmp_path: Path, change: Any, says: str
) -> None:
    data = _raw()
    change(_feedback_procedure(data))
    with pytest.raises(ValueError, match="invalid post-issuance rules") as err:
        load_rules(_write(tmp_path, data))
    assert says in str(err.value)
    assert str(err.value).startswith("rules.yaml: ")


def test_every_procedure_after_issuance_is_data_its_workflow_interprets() -> None:
    """The stages, actions and time limits the workflows used to name in code are in the
    data now, with their basis; the workflows' modules name none of their stages."""
    procedures = RULES.procedures()
    assert set(procedures) == {"feedback", "check", "monitoring"}
    code = "\n".join(
        (Path(__file__).resolve().parents[2] / "workflows" / "after_issuance" / f).read_text(
            encoding="utf-8"
        )
        for f in ("feedback_case.py", "legality_check.py", "monitoring.py", "step_case.py")
    )
    # A notice's kind and a count may share a stage's name; they name a message or a number.
    code = re.sub(r"\.(key|_count)\(\"[a-z_]+\"\)", "", code)
    for proc in procedures.values():
        assert proc.basis
        for stage in proc.stages:
            assert f'"{stage}"' not in code, stage
