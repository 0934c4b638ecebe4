"""The workspace's pure rules: who may see a case, why an action nobody can take is stuck,
the CSRF tokens, the limit on failed sign-ins and the checks on uploaded files."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request

from activities.filesystem_store import FilesystemDocumentStore
from client.documents import upload_bytes
from client.errors import CaseError
from identity.accounts import AccountKind
from identity.sessions import open_session
from identity.signing_key import load_or_create
from models.actors import Directory, load_directory
from models.case import AuditEntry, CaseStatus
from models.interests import Declaration
from models.registry import load_registry
from web import csrf
from web.access import may_see
from web.case_view import Labels, stage_path, stuck_actions
from web.sign_in_limits import SignInLimits, TooManyAttempts

AT = datetime(2026, 12, 1, 2, tzinfo=UTC)


def _status(**changes: Any) -> CaseStatus:
    base: dict[str, Any] = dict(
        id="so-xd:q",
        type="qd_ubnd_tinh",
        regime="L2025_A87",
        title="Quy định thử",
        drafting_agency="so-xd-daklak",
        stage="appraisal_signoff",
        stage_label="Trình ký báo cáo thẩm định",
        stage_label_en="Appraisal sign-off",
        final=False,
        overdue=False,
        allowed=[],
        blocked=[],
        deadlines=[],
        documents=[],
        audit_entries=2,
        started_at=AT,
        legal_today=date(2026, 12, 1),
        roles={"appraisal_head": ["tran.thi.dung"], "drafter": ["le.thi.binh"]},
    )
    return CaseStatus(**(base | changes))


def _entry(actor: str, action: str, to: str, frm: str | None) -> AuditEntry:
    return AuditEntry(
        seq=1, at=AT, legal_date=date(2026, 12, 1), actor=actor, role="r",
        action=action, from_stage=frm, to_stage=to,
    )  # fmt: skip


NAMES = {"tran.thi.dung": "Trần Thị Dung"}


def test_four_eyes_names_the_sole_head_who_submitted_and_what_unblocks_it() -> None:
    st = _status()
    labels = Labels.of(load_registry(), st)
    trail = [_entry("tran.thi.dung", "submit_appraisal_report", "appraisal_signoff", "appraisal")]
    stuck = {s.label: s for s in stuck_actions(st, trail, labels, NAMES)}
    sign = stuck["Ký, gửi báo cáo thẩm định"]
    assert "Trần Thị Dung" in sign.reason
    assert "bốn mắt" in sign.reason
    assert "KT." in sign.remedy
    assert "reassign" in sign.remedy


def test_in_english_the_stuck_action_and_its_role_are_said_in_english() -> None:
    st = _status()
    labels = Labels.of(load_registry(), st, english=True)
    trail = [_entry("tran.thi.dung", "submit_appraisal_report", "appraisal_signoff", "appraisal")]
    [sign] = [s for s in stuck_actions(st, trail, labels, NAMES) if "four-eyes" in s.reason]
    assert sign.label == "Sign and issue the appraisal report"
    assert "Director of the Department of Justice" in sign.reason
    assert "Trần Thị Dung" in sign.reason
    assert "To unblock" in sign.remedy
    assert labels.role("appraisal_head") == "Director of the Department of Justice"
    assert Labels.of(load_registry(), st).role("appraisal_head") == "Giám đốc Sở Tư pháp"


def test_a_consulted_body_keeps_its_request_label_unless_english_is_asked() -> None:
    st = _status(type="qd_ct_ubnd_tinh", regime="L2025_A87")
    vi, en = Labels.of(load_registry(), st), Labels.of(load_registry(), st, english=True)
    assert vi.consulted("consulted_finance", "Sở Tài chính") == "Sở Tài chính"
    assert en.consulted("consulted_finance", "Sở Tài chính") == "Department of Finance"
    assert en.consulted("not_in_the_procedure", "Cơ quan X") == "Cơ quan X"


def test_every_role_and_consulted_body_has_an_english_name() -> None:
    for d in load_registry():
        assert all(r.label_en for r in d.roles.values()), d.key
        assert all(c.label_en for s in d.stages.values() for c in s.consults), d.key


def test_a_head_who_stood_aside_is_named_with_the_way_out() -> None:
    declared = Declaration(
        person="tran.thi.dung", has_interest=True, at=AT, legal_date=date(2026, 12, 1)
    )
    st = _status(declarations=[declared])
    trail = [_entry("le.van.c", "submit_appraisal_report", "appraisal_signoff", "appraisal")]
    stuck = stuck_actions(st, trail, Labels.of(load_registry(), st), NAMES)
    assert any("xung đột lợi ích" in s.reason for s in stuck)


def test_no_holder_of_the_role_is_said() -> None:
    st = _status(roles={})
    stuck = stuck_actions(st, [], Labels.of(load_registry(), st), NAMES)
    assert stuck
    assert all("Chưa ai giữ vai trò" in s.reason for s in stuck)


def test_labels_replace_codes_and_fall_back_to_them() -> None:
    labels = Labels.of(load_registry(), _status())
    assert labels.action("request_appraisal") == "Gửi hồ sơ đề nghị thẩm định"
    assert labels.stage("in_force") != "in_force"
    assert Labels.of(load_registry(), _status(type="khong_co")).stage("x") == "x"


@pytest.fixture
def directory() -> Directory:
    return load_directory()


def test_a_case_is_seen_by_its_agency_and_the_people_it_names_only(directory: Directory) -> None:
    st = _status(roles={"appraisal_head": ["tran.thi.dung"]})
    same_agency = [p.id for p in directory.people if p.agency == "so-xd-daklak"]
    outsider = next(
        p.id for p in directory.people if p.agency != "so-xd-daklak" and p.id != "tran.thi.dung"
    )
    assert same_agency
    assert all(may_see(st, p, directory) for p in same_agency)
    assert may_see(st, "tran.thi.dung", directory)
    assert not may_see(st, outsider, directory)
    assert not may_see(st, "khong.co.ai", directory)


def _request(cookies: dict[str, str]) -> Request:
    header = "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()
    return Request({"type": "http", "headers": [(b"cookie", header)] if cookies else []})


def test_csrf_tokens_are_bound_to_the_session_and_to_the_cookie(tmp_path: Path) -> None:
    key = load_or_create(tmp_path / "key")
    mine = open_session(key, "le.thi.binh", AccountKind.PERSON)
    other = open_session(key, "le.thi.binh", AccountKind.PERSON)
    token = csrf.session_token(key, mine)
    csrf.check_session_token(key, mine, token)
    for wrong in ("", csrf.session_token(key, other), token[:-2]):
        with pytest.raises(csrf.CsrfRefused):
            csrf.check_session_token(key, mine, wrong)
    csrf.check_pre_session_token(_request({csrf.PRE_SESSION_COOKIE: "abc"}), "abc")
    for cookies, sent in (({}, ""), ({}, "abc"), ({csrf.PRE_SESSION_COOKIE: "abc"}, "abd")):
        with pytest.raises(csrf.CsrfRefused):
            csrf.check_pre_session_token(_request(cookies), sent)


def test_failed_sign_ins_are_limited_per_account_and_per_address() -> None:
    now = [0.0]
    limits = SignInLimits(failures=3, window=600.0, clock=lambda: now[0])
    for _ in range(3):
        limits.check("binh", "10.0.0.1")
        limits.failed("binh", "10.0.0.1")
    with pytest.raises(TooManyAttempts, match="10 phút"):
        limits.check("binh", "10.0.0.2")  # the account, from anywhere
    with pytest.raises(TooManyAttempts):
        limits.check("an", "10.0.0.1")  # the address, for any account
    limits.check("an", "10.0.0.3")
    now[0] = 600.5
    limits.check("binh", "10.0.0.1")  # the window has passed


def test_an_upload_must_be_what_its_name_says(tmp_path: Path) -> None:
    store = FilesystemDocumentStore(tmp_path)
    assert upload_bytes(store, "du-thao.md", "Điều 1.".encode()).media_type == "text/markdown"
    assert upload_bytes(store, "a.pdf", b"%PDF-1.7\n...").media_type == "application/pdf"
    for name, content, said in (
        ("virus.exe", b"MZ", "chỉ nhận"),
        ("gia.pdf", b"<html>", "không phải"),
        ("gia.docx", b"%PDF-1.7", "không phải"),
        ("latin1.txt", "Điều".encode("utf-16"), "UTF-8"),
    ):
        with pytest.raises(CaseError, match=said):
            upload_bytes(store, name, content)


def test_the_stage_path_shows_what_was_passed_the_current_stage_and_the_way_ahead() -> None:
    st = _status(stage="synthesis", stage_label="Tổng hợp")
    labels = Labels.of(load_registry(), st)
    trail = [
        _entry("le.thi.binh", "open_consultation", "consultation", "drafting"),
        _entry("le.thi.binh", "close_consultation", "synthesis", "consultation"),
    ]
    path = stage_path(st, trail, labels)
    states = [s.state for s in path]
    assert states[:3] == ["done", "done", "current"]
    assert set(states[3:]) == {"ahead"}
    assert path[1].by == "le.thi.binh"
    assert path[2].label == labels.stage("synthesis")
    assert path[-1].label == labels.stage("in_force")


def test_every_action_the_trail_records_has_words() -> None:
    """The case page shows the trail in words: every action the drafting workflow writes by
    name (besides the procedure's own) has a label, so a new one cannot appear as a code."""
    import ast
    from pathlib import Path

    from web.case_view import TRAIL_ACTIONS

    written = set()
    for path in Path("workflows/drafting").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "_append_audit"
                and len(node.args) > 2
                and isinstance(node.args[2], ast.Constant)
            ):
                written.add(node.args[2].value)
    assert "raise_issue" in written  # the scan sees the calls
    assert written - set(TRAIL_ACTIONS) == set()


def test_an_instant_is_shown_on_vietnams_calendar() -> None:
    """A document recorded at 20:00 UTC on 3 December was recorded on 4 December in Vietnam."""
    from datetime import UTC, date, datetime

    from web.workspace import vn_date

    assert vn_date(datetime(2026, 12, 3, 20, 0, tzinfo=UTC)) == "04/12/2026"
    assert vn_date(datetime(2026, 12, 3, 16, 0, tzinfo=UTC)) == "03/12/2026"
    assert vn_date(date(2026, 12, 3)) == "03/12/2026"
