"""Who may do what, when: every refusal has a stable code and a message that says why."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest

from models.actors import load_directory
from models.calendar import LegalCalendar
from models.case import ActionRequest
from models.documents import DocumentRef
from models.legal_time import VIETNAM_TZ, LegalClock, compute_deadline
from models.machine import ProcessMachine
from models.registry import load_registry
from models.rules import (
    ActionRefused,
    RuleContext,
    allowed_actions,
    blocked_actions,
    check_action,
)

DEFINITION = load_registry().get("qd_ubnd_tinh", "L2025_A87")
MACHINE = ProcessMachine(DEFINITION)
ASSIGNMENTS = load_directory().assign_roles(DEFINITION, "so-xd-daklak")
CALENDAR = LegalCalendar()
ORIGIN = datetime(2026, 3, 2, 9, 0, tzinfo=VIETNAM_TZ)
CLOCK = LegalClock(origin=ORIGIN, legal_day_seconds=86400)
DOC = DocumentRef(sha256="ab" * 32, size=1024, name="du-thao-1.docx")

DRAFTER = "nguyen.van.an"
HEAD = "tran.van.cuong"  # drafter and drafting_head of so-xd-daklak
APPRAISER = "pham.thi.dung"


def _ctx(
    stage: str,
    *,
    now: datetime,
    entered: dict[str, datetime] | None = None,
    entered_by: str | None = None,
    clock: LegalClock = CLOCK,
) -> RuleContext:
    entered = entered if entered is not None else {stage: ORIGIN}
    return RuleContext(
        machine=MACHINE,
        stage=stage,
        entered_by=entered_by,
        assignments=ASSIGNMENTS,
        deadline=compute_deadline(DEFINITION, stage, entered, clock, CALENDAR),
        now=now,
    )


def _refusal(ctx: RuleContext, req: ActionRequest, *, system: bool = False) -> ActionRefused:
    with pytest.raises(ActionRefused) as exc:
        check_action(ctx, req, system=system)
    assert str(exc.value) == exc.value.message
    return exc.value


# --- illegal action, role, actor ---------------------------------------------------------------


def test_illegal_action_lists_what_is_allowed() -> None:
    ctx = _ctx("drafting", now=ORIGIN)
    err = _refusal(ctx, ActionRequest(action="sign", actor=DRAFTER, document=DOC))
    assert err.code == "illegal_action"
    assert "'sign'" in err.message
    assert "'drafting'" in err.message
    assert "allowed here: open_consultation, withdraw" in err.message
    assert DEFINITION.stages["drafting"].label in err.message  # Vietnamese stage label


def test_illegal_unknown_action() -> None:
    err = _refusal(_ctx("synthesis", now=ORIGIN), ActionRequest(action="dance", actor=DRAFTER))
    assert err.code == "illegal_action"
    assert "allowed here: submit_synthesis, withdraw" in err.message


def test_illegal_action_where_only_the_clock_can_move_the_case() -> None:
    err = _refusal(
        _ctx("awaiting_force", now=ORIGIN, entered={"gazette_submission": ORIGIN}),
        ActionRequest(action="sign", actor="bui.van.khoa"),
    )
    assert err.code == "illegal_action"
    assert "none (the case advances by itself)" in err.message


def test_wrong_role_names_the_role_and_its_holders() -> None:
    ctx = _ctx("drafting", now=ORIGIN)
    err = _refusal(ctx, ActionRequest(action="open_consultation", actor=APPRAISER, document=DOC))
    assert err.code == "wrong_role"
    assert APPRAISER in err.message
    assert "'drafter'" in err.message
    assert DEFINITION.roles["drafter"].label in err.message
    assert "holders: nguyen.van.an, le.thi.binh, tran.van.cuong" in err.message


def test_unknown_actor_is_wrong_role() -> None:
    ctx = _ctx("drafting", now=ORIGIN)
    err = _refusal(ctx, ActionRequest(action="open_consultation", actor="ke.gian", document=DOC))
    assert err.code == "wrong_role"
    assert "ke.gian" in err.message


def test_nobody_may_act_as_the_system() -> None:
    ctx = _ctx("drafting", now=ORIGIN)
    err = _refusal(ctx, ActionRequest(action="open_consultation", actor="system", document=DOC))
    assert err.code == "wrong_role"


def test_a_drafter_of_another_agency_is_wrong_role() -> None:
    ctx = _ctx("drafting", now=ORIGIN)
    for outsider in ("dinh.thi.hoa", "mai.van.minh"):  # drafters at so-nn-daklak, so-xd-sonla
        err = _refusal(ctx, ActionRequest(action="open_consultation", actor=outsider, document=DOC))
        assert err.code == "wrong_role"


def test_a_drafter_may_open_the_consultation_with_a_document() -> None:
    ctx = _ctx("drafting", now=ORIGIN)
    t = check_action(ctx, ActionRequest(action="open_consultation", actor=DRAFTER, document=DOC))
    assert (t.action, t.source, t.dest) == ("open_consultation", "drafting", "consultation")


def test_document_required() -> None:
    ctx = _ctx("drafting", now=ORIGIN)
    err = _refusal(ctx, ActionRequest(action="open_consultation", actor=DRAFTER))
    assert err.code == "document_required"
    assert "'open_consultation' requires a document" in err.message


# --- four eyes ---------------------------------------------------------------------------------


def test_four_eyes_refuses_approving_ones_own_submission() -> None:
    ctx = _ctx("dossier_review", now=ORIGIN, entered_by=HEAD)
    err = _refusal(ctx, ActionRequest(action="request_appraisal", actor=HEAD))
    assert err.code == "four_eyes"
    assert HEAD in err.message
    assert "'request_appraisal'" in err.message
    assert "another 'drafting_head' must act" in err.message


def test_four_eyes_in_allowed_actions() -> None:
    ctx = _ctx("dossier_review", now=ORIGIN, entered_by=HEAD)
    # HEAD is the only drafting_head of so-xd-daklak: with him excluded nobody can send the
    # dossier for appraisal; the actions without four eyes stay his.
    allowed = {a.action: a.actors for a in allowed_actions(ctx)}
    assert allowed == {"return_for_revision": [HEAD], "withdraw": [HEAD]}
    assert [a.action for a in allowed_actions(ctx, HEAD)] == ["return_for_revision", "withdraw"]
    assert allowed_actions(ctx, DRAFTER) == []


def test_four_eyes_lets_the_head_approve_someone_elses_submission() -> None:
    ctx = _ctx("dossier_review", now=ORIGIN, entered_by=DRAFTER)
    t = check_action(ctx, ActionRequest(action="request_appraisal", actor=HEAD))
    assert t.dest == "dossier_check"
    allowed = {a.action: a for a in allowed_actions(ctx)}
    assert allowed["request_appraisal"].actors == [HEAD]
    assert allowed["request_appraisal"].to == "dossier_check"
    assert allowed["request_appraisal"].role == "drafting_head"


def test_four_eyes_leaves_the_other_appraisal_head_candidates() -> None:
    # appraisal_signoff: the appraisal head may not sign off a report he submitted himself.
    ctx = _ctx(
        "appraisal_signoff", now=ORIGIN, entered={"appraisal": ORIGIN}, entered_by="hoang.van.em"
    )
    err = _refusal(ctx, ActionRequest(action="issue_appraisal_report", actor="hoang.van.em"))
    assert err.code == "four_eyes"
    assert "issue_appraisal_report" not in {a.action for a in allowed_actions(ctx)}


# --- guards and time ---------------------------------------------------------------------------

ENTERED_CONSULTATION = ORIGIN + timedelta(days=1)  # 2026-03-03 09:00 ICT
EARLIEST = ENTERED_CONSULTATION + timedelta(days=30)  # 2026-04-02 09:00 ICT


def _consultation(now: datetime) -> RuleContext:
    return _ctx(
        "consultation",
        now=now,
        entered={"drafting": ORIGIN, "consultation": ENTERED_CONSULTATION},
        entered_by=DRAFTER,
    )


def test_close_consultation_before_30_days_fails_the_guard() -> None:
    ctx = _consultation(ENTERED_CONSULTATION + timedelta(days=29))
    err = _refusal(ctx, ActionRequest(action="close_consultation", actor=DRAFTER))
    assert err.code == "guard_failed"
    assert "02/04/2026" in err.message
    assert "earliest 2026-04-02" in err.message
    assert "30" in err.message
    assert DEFINITION.stages["consultation"].deadline is not None
    assert DEFINITION.stages["consultation"].deadline.basis in err.message


def test_close_consultation_one_second_early_still_fails() -> None:
    ctx = _consultation(EARLIEST - timedelta(seconds=1))
    err = _refusal(ctx, ActionRequest(action="close_consultation", actor=DRAFTER))
    assert err.code == "guard_failed"


def test_close_consultation_at_30_days_is_allowed() -> None:
    ctx = _consultation(ENTERED_CONSULTATION + timedelta(days=30))
    t = check_action(ctx, ActionRequest(action="close_consultation", actor=DRAFTER))
    assert t.dest == "synthesis"
    assert "close_consultation" in {a.action for a in allowed_actions(ctx)}
    assert blocked_actions(ctx) == []


def test_blocked_actions_explain_the_wait() -> None:
    ctx = _consultation(ENTERED_CONSULTATION + timedelta(days=29))
    blocked = blocked_actions(ctx)
    assert [(b.action, b.to) for b in blocked] == [("close_consultation", "synthesis")]
    assert "2026-04-02" in blocked[0].reason
    allowed = {a.action for a in allowed_actions(ctx)}
    assert "close_consultation" not in allowed
    assert "withdraw" in allowed


def test_the_guard_follows_a_compressed_legal_clock() -> None:
    fast = LegalClock(origin=ORIGIN, legal_day_seconds=1)
    entered = {"consultation": ORIGIN}
    early = _ctx("consultation", now=ORIGIN + timedelta(seconds=29), entered=entered, clock=fast)
    on_time = _ctx("consultation", now=ORIGIN + timedelta(seconds=30), entered=entered, clock=fast)
    req = ActionRequest(action="close_consultation", actor=DRAFTER)
    assert _refusal(early, req).code == "guard_failed"
    assert check_action(on_time, req).dest == "synthesis"


def test_the_guard_is_checked_after_the_role() -> None:
    ctx = _consultation(ENTERED_CONSULTATION + timedelta(days=1))
    err = _refusal(ctx, ActionRequest(action="close_consultation", actor=APPRAISER))
    assert err.code == "wrong_role"


# --- automatic transitions and closed cases ----------------------------------------------------

SIGNED = ORIGIN + timedelta(days=40)
AWAITING_ENTERED = {
    "signing": ORIGIN + timedelta(days=39),
    "gazette_submission": SIGNED,
    "publication": SIGNED + timedelta(days=1),
    "awaiting_force": SIGNED + timedelta(days=3),
}


def test_a_person_cannot_bring_a_decision_into_force() -> None:
    ctx = _ctx("awaiting_force", now=SIGNED + timedelta(days=11), entered=AWAITING_ENTERED)
    for actor in ("bui.van.khoa", "ops.oncall"):  # the signer, ops
        err = _refusal(ctx, ActionRequest(action="enter_into_force", actor=actor))
        assert err.code == "automatic_only"
        assert "automatically" in err.message
    assert allowed_actions(ctx) == []


def test_the_system_brings_it_into_force_once_the_period_has_elapsed() -> None:
    due = SIGNED + timedelta(days=10)  # counted from signing, not from publication
    ctx = _ctx("awaiting_force", now=due, entered=AWAITING_ENTERED)
    assert ctx.deadline is not None
    assert ctx.deadline.due == due
    t = check_action(ctx, ActionRequest(action="enter_into_force", actor="system"), system=True)
    assert (t.action, t.dest, t.automatic) == ("enter_into_force", "in_force", True)


def test_the_system_cannot_take_an_illegal_path() -> None:
    ctx = _ctx("awaiting_force", now=SIGNED + timedelta(days=10), entered=AWAITING_ENTERED)
    err = _refusal(ctx, ActionRequest(action="withdraw", actor="system"), system=True)
    assert err.code == "illegal_action"


def test_system_still_respects_guards() -> None:
    ctx = _consultation(ENTERED_CONSULTATION + timedelta(days=2))
    err = _refusal(ctx, ActionRequest(action="close_consultation", actor="system"), system=True)
    assert err.code == "guard_failed"


@pytest.mark.parametrize("stage", ["in_force", "withdrawn"])
def test_a_closed_case_refuses_everything(stage: str) -> None:
    ctx = _ctx(stage, now=ORIGIN)
    for action in ("withdraw", "sign", "enter_into_force"):
        err = _refusal(ctx, ActionRequest(action=action, actor=HEAD, document=DOC))
        assert err.code == "case_closed"
        assert stage in err.message
    assert allowed_actions(ctx) == []
    assert blocked_actions(ctx) == []


# --- a return must say why -----------------------------------------------------------------


def test_a_return_without_a_reason_is_refused_in_cases_that_ask_for_it() -> None:
    ctx = _ctx("dossier_review", now=ORIGIN + timedelta(days=1), entered_by="le.thi.binh")
    asks = dataclasses.replace(ctx, notes_required=True)
    for note in (None, "", "   "):
        req = ActionRequest(action="return_for_revision", actor=HEAD, note=note)
        err = _refusal(asks, req)
        assert err.code == "note_required"
        assert "cần ghi rõ lý do" in err.message
    said = ActionRequest(action="return_for_revision", actor=HEAD, note="Thiếu đánh giá tác động")
    assert check_action(asks, said).action == "return_for_revision"
    # A case started before the rule (no patch marker) never asked for it.
    assert check_action(ctx, ActionRequest(action="return_for_revision", actor=HEAD)).dest
    # The case page and the status say which actions need a note.
    offered = {a.action: a.requires_note for a in allowed_actions(asks)}
    assert offered["return_for_revision"] is True
    assert offered["request_appraisal"] is False
