"""Issues sent up for direction (xin ý kiến chỉ đạo), the pure rules: who may raise one and
who directs it, what is refused and why, and the guard that holds the submission until every
issue has its direction."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from models.actors import ActorRef
from models.case import ActionRequest
from models.contested_issues import (
    ContestedIssue,
    DirectionRequest,
    IssueRefused,
    RaiseIssueRequest,
    check_direction,
    check_raise,
    current,
    raisers,
)
from models.registry import load_registry
from models.rules import ActionRefused, blocked_actions, check_action
from tests.unit.test_rules import ASSIGNMENTS, DEFINITION, HEAD, ORIGIN, _ctx

OPTIONS = ["Giữ nguyên", "Sửa đổi"]


def _issue(number: int = 1, **changes: object) -> ContestedIssue:
    issue = ContestedIssue(
        number=number,
        question="Mức phí",
        options=OPTIONS,
        raised_by="nguyen.van.an",
        raised_at=ORIGIN,
        raised_on=ORIGIN.date(),
        stage="drafting",
        authority_role="signer",
        authority_label="Chủ tịch Ủy ban nhân dân tỉnh",
        holders=["bui.van.khoa"],
        due=ORIGIN + timedelta(days=9),
        due_legal_date=(ORIGIN + timedelta(days=9)).date(),
        due_explanation="7 ngày làm việc",
        basis="Quy chế làm việc",
    )
    return issue.model_copy(update=changes)


def _raise_refusal(req: RaiseIssueRequest, **kw: bool) -> IssueRefused:
    flags = {"enabled": True, "final": False} | kw
    with pytest.raises(IssueRefused) as exc:
        check_raise(DEFINITION, ASSIGNMENTS, req, **flags)
    return exc.value


def test_the_drafting_unit_raises_and_others_are_refused() -> None:
    rule = check_raise(
        DEFINITION, ASSIGNMENTS,
        RaiseIssueRequest(actor="nguyen.van.an", question="Mức phí", options=OPTIONS),
        enabled=True, final=False,
    )  # fmt: skip
    assert rule.decided_by == "signer"
    assert set(raisers(DEFINITION, ASSIGNMENTS, enabled=True, final=False)) >= {
        "nguyen.van.an",
        HEAD,
    }
    appraiser = _raise_refusal(
        RaiseIssueRequest(actor="pham.thi.dung", question="Mức phí", options=OPTIONS)
    )
    assert appraiser.code == "wrong_role"
    assert "Lãnh đạo cơ quan chủ trì soạn thảo" in appraiser.message
    same = _raise_refusal(RaiseIssueRequest(actor=HEAD, question="Mức phí", options=["A", "A "]))
    assert same.code == "bad_options"
    old = _raise_refusal(
        RaiseIssueRequest(actor=HEAD, question="Mức phí", options=OPTIONS), enabled=False
    )
    assert old.code == "no_direction"
    assert "trước khi" in old.message
    closed = _raise_refusal(
        RaiseIssueRequest(actor=HEAD, question="Mức phí", options=OPTIONS), final=True
    )
    assert closed.code == "case_closed"
    assert raisers(DEFINITION, ASSIGNMENTS, enabled=True, final=True) == []


def test_a_procedure_without_a_direction_rule_refuses() -> None:
    plain = DEFINITION.model_copy(update={"direction": None})
    with pytest.raises(IssueRefused) as exc:
        check_raise(
            plain, ASSIGNMENTS,
            RaiseIssueRequest(actor=HEAD, question="Mức phí", options=OPTIONS),
            enabled=True, final=False,
        )  # fmt: skip
    assert exc.value.code == "no_direction"
    assert raisers(plain, ASSIGNMENTS, enabled=True, final=False) == []


def test_only_the_authority_now_assigned_directs_an_open_issue_once() -> None:
    issues = [_issue(1), _issue(2, direction="Đã chỉ đạo", directed_by="bui.van.khoa")]
    ok = check_direction(
        issues, ASSIGNMENTS, DirectionRequest(actor="bui.van.khoa", issue=1, direction="Làm A")
    )
    assert ok.number == 1
    cases = [
        (DirectionRequest(actor="nguyen.van.an", issue=1, direction="Làm A"), "wrong_role"),
        (DirectionRequest(actor="bui.van.khoa", issue=3, direction="Làm A"), "no_such_issue"),
        (DirectionRequest(actor="bui.van.khoa", issue=2, direction="Làm A"), "already_directed"),
        (
            DirectionRequest(actor="bui.van.khoa", issue=1, option=3, direction="Làm C"),
            "bad_option",
        ),
    ]
    for req, code in cases:
        with pytest.raises(IssueRefused) as exc:
            check_direction(issues, ASSIGNMENTS, req)
        assert exc.value.code == code, req
    # A reassignment hands the open issue over with the role; a settled one keeps its record.
    deputy = ActorRef(id="pho.chu.tich", name="Phó Chủ tịch", agency="ubnd-daklak")
    handed = {**ASSIGNMENTS, "signer": [deputy]}
    now = current(issues, handed)
    assert [i.holders for i in now] == [["pho.chu.tich"], ["bui.van.khoa"]]
    assert check_direction(
        issues, handed, DirectionRequest(actor="pho.chu.tich", issue=1, direction="Làm A")
    ).holders == ["pho.chu.tich"]


def test_the_submission_waits_for_every_direction() -> None:
    ctx = _ctx("submission_review", now=ORIGIN, entered_by="nguyen.van.an")
    req = ActionRequest(action="submit_for_adoption", actor=HEAD, declare_no_interest=True)
    assert check_action(ctx, req).action == "submit_for_adoption"
    waiting = dataclasses.replace(ctx, open_issues=[_issue(1)])
    with pytest.raises(ActionRefused) as exc:
        check_action(waiting, req)
    assert exc.value.code == "guard_failed"
    assert "vấn đề 1 «Mức phí» (hạn / due 11/03/2026)" in exc.value.message
    assert "Chủ tịch Ủy ban nhân dân tỉnh" in exc.value.message
    [blocked] = [b for b in blocked_actions(waiting) if b.action == "submit_for_adoption"]
    assert "Mức phí" in blocked.reason


def test_the_shipped_rule_carries_its_basis_and_marks_the_time_limit_unconfirmed() -> None:
    rule = load_registry().get("qd_ubnd_tinh", "L2025_A87").direction
    assert rule is not None
    assert "Luật 64/2025/QH15" in rule.basis
    assert rule.reply.confirmed is False
