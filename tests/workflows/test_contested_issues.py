"""Contested issues sent up for direction (xin ý kiến chỉ đạo) on the real server: the issue
lands in the competent authority's inbox with its deadline and notice, refusals write nothing,
the direction is recorded on the case and in the trail and the drafting unit is told; a
breached deadline escalates; the submission waits until every issue has its direction."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.client import Client, WorkflowExecutionStatus

from client.cases import act, give_direction, raise_issue, start_case, status
from client.errors import CaseActionRefused
from client.inbox import Seeker, inbox
from localdev.walkthrough import wait_for_status, walk
from models.actors import Directory
from models.case import ActionRequest
from models.contested_issues import DirectionRequest, RaiseIssueRequest
from models.registry import Registry
from models.starting import StartRequest
from tests.conftest import Harness
from tests.workflows.after_issuance import until
from tests.workflows.cli_harness import as_person, legisflow
from workflows import search_attributes as sa

WAIT = 120.0
QUESTION = "Mức thu phí thẩm định thiết kế"
OPTIONS = ["Giữ mức thu hiện hành", "Tăng 10% từ năm 2027"]


async def history_length(client: Client, case_id: str) -> int:
    return len((await client.get_workflow_handle(case_id).fetch_history()).events)


def messages(harness: Harness, case_id: str, kind: str) -> list[Any]:
    return [m for m in harness.outbox.list_messages() if m.case_id == case_id and m.kind == kind]


async def new_case(
    harness: Harness, registry: Registry, directory: Directory, slug: str, **extra: Any
) -> str:
    handle = await start_case(
        harness.client,
        directory,
        StartRequest(
            definition=registry.get("qd_ubnd_tinh"),
            title=f"Quy định {slug}",
            starter="nguyen.van.an",
            slug=slug,
            **extra,
        ),
        task_queue=harness.settings.task_queue,
    )
    return handle.id


async def test_an_issue_goes_up_and_its_direction_comes_back(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    # Real legal days: the 7 working days the Chủ tịch has never pass during the test.
    h, tq = harness.client, harness.settings.task_queue
    case_id = await new_case(harness, registry, directory, "issue-up")
    issue = await raise_issue(
        h,
        case_id,
        RaiseIssueRequest(
            actor="nguyen.van.an", question=QUESTION, options=OPTIONS,
            proposal="Giữ mức thu hiện hành đến hết năm 2026",
        ),
    )  # fmt: skip
    assert (issue.number, issue.holders, issue.settled) == (1, ["bui.van.khoa"], False)
    assert issue.authority_label == "Chủ tịch Ủy ban nhân dân tỉnh"
    assert "7 ngày làm việc" in issue.due_explanation

    # The Chủ tịch finds it in the inbox, with what is asked and by when; visibility says
    # which role at which agency the case awaits, never who.
    async def in_chair_inbox() -> list[Any]:
        chair = Seeker.of(directory, "bui.van.khoa")
        return [i for i in await inbox(h, chair, tq) if i.case_id == case_id]

    [item] = await until("the issue in the Chủ tịch's inbox", in_chair_inbox)
    assert item.tasks == [f"Cho ý kiến chỉ đạo: vấn đề 1 — {QUESTION}"]
    assert item.due == issue.due_legal_date
    desc = await h.get_workflow_handle(case_id).describe()
    assert "signer@ubnd-daklak" in (desc.typed_search_attributes.get(sa.AWAITING_ROLES) or [])

    async def asked() -> list[Any]:
        return messages(harness, case_id, "direction_request")

    [notice] = await until("the direction request notice", asked)
    assert [r.actor_id for r in notice.recipients] == ["bui.van.khoa"]
    assert QUESTION in notice.subject
    assert notice.link == f"/ho-so/{case_id}"

    # Refusals are the validator's: nothing is written to the case's history.
    before = await history_length(h, case_id)
    refusals = [
        (raise_issue, RaiseIssueRequest(actor="y.bham.nie", question=QUESTION, options=OPTIONS)),
        (
            raise_issue,
            RaiseIssueRequest(actor="nguyen.van.an", question=QUESTION, options=["A", " A "]),
        ),
        (give_direction, DirectionRequest(actor="nguyen.van.an", issue=1, direction="Làm A")),
        (
            give_direction,
            DirectionRequest(actor="bui.van.khoa", issue=1, option=3, direction="Làm C"),
        ),
        (give_direction, DirectionRequest(actor="bui.van.khoa", issue=2, direction="Làm B")),
    ]
    codes = []
    for send, req in refusals:
        with pytest.raises(CaseActionRefused) as refused:
            await send(h, case_id, req)  # type: ignore[operator]
        codes.append(refused.value.code)
    assert codes == ["wrong_role", "bad_options", "wrong_role", "bad_option", "no_such_issue"]
    assert await history_length(h, case_id) == before

    directed = await give_direction(
        h,
        case_id,
        DirectionRequest(
            actor="bui.van.khoa", issue=1, option=2, declare_no_interest=True,
            direction="Tăng 10% từ năm 2027, công bố trước ba tháng",
        ),
    )  # fmt: skip
    assert (directed.settled, directed.chosen, directed.directed_by) == (True, 2, "bui.van.khoa")
    st = await status(h, case_id)
    assert [(i.number, i.direction) for i in st.issues] == [
        (1, "Tăng 10% từ năm 2027, công bố trước ba tháng")
    ]
    trail = await h.get_workflow_handle(case_id).query("audit")
    notes = {e["action"]: e["note"] for e in trail}
    assert QUESTION in notes["raise_issue"]
    assert "Tăng 10% từ năm 2027" in notes["raise_issue"]
    assert notes["give_direction"].startswith("Vấn đề 1: Tăng 10% từ năm 2027")

    async def told() -> list[Any]:
        return messages(harness, case_id, "direction_given")

    [back] = await until("the drafting unit told of the direction", told)
    assert {r.actor_id for r in back.recipients} >= {"nguyen.van.an", "tran.van.cuong"}
    # The deadline request ended with the direction in time, and the inbox let it go.
    request = h.get_workflow_handle(f"{case_id}/direction/1")
    assert await request.result() is True
    assert (await request.describe()).status is WorkflowExecutionStatus.COMPLETED
    assert await in_chair_inbox() == []
    with pytest.raises(CaseActionRefused) as again:
        await give_direction(
            h, case_id, DirectionRequest(actor="bui.van.khoa", issue=1, direction="Lần hai")
        )
    assert again.value.code == "already_directed"


async def test_the_submission_waits_for_every_direction(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    # Short legal days: the consultation's 30 days and the 7 working days for the direction
    # pass within the test (awaited, never assumed).
    h = harness.client
    definition = registry.get("qd_ubnd_tinh")
    case_id = await new_case(harness, registry, directory, "issue-guard", legal_day_seconds=0.05)
    await raise_issue(
        h, case_id, RaiseIssueRequest(actor="tran.van.cuong", question=QUESTION, options=OPTIONS)
    )
    # Nobody directs in time: overdue, in the trail, escalated to the Chánh Văn phòng.
    late = await wait_for_status(h, case_id, lambda s: s.issues[0].overdue, timeout=WAIT)
    assert not late.issues[0].settled

    async def escalated() -> list[Any]:
        return messages(harness, case_id, "direction_overdue")

    [escalation] = await until("the overdue direction escalated", escalated)
    assert {r.actor_id for r in escalation.recipients} == {"do.van.hai", "bui.van.khoa"}
    trail = await h.get_workflow_handle(case_id).query("audit")
    assert [e["note"] for e in trail if e["action"] == "direction_overdue"] == [
        f"Vấn đề 1: {QUESTION}"
    ]

    st = await walk(h, case_id, definition, harness.store, target="submission_review")
    [blocked] = [b for b in st.blocked if b.action == "submit_for_adoption"]
    assert "vấn đề 1" in blocked.reason
    assert QUESTION in blocked.reason
    trail = await h.get_workflow_handle(case_id).query("audit")
    [head] = [p for p in st.roles["drafting_head"] if p != trail[-1]["actor"]]  # four eyes
    with pytest.raises(CaseActionRefused) as held:
        await act(
            h,
            case_id,
            ActionRequest(action="submit_for_adoption", actor=head, declare_no_interest=True),
        )
    assert held.value.code == "guard_failed"
    assert QUESTION in str(held.value)
    await give_direction(
        h,
        case_id,
        DirectionRequest(
            actor="bui.van.khoa", issue=1, option=1, direction="Giữ mức thu",
            declare_no_interest=True,
        ),
    )  # fmt: skip
    st = await status(h, case_id)
    assert "submit_for_adoption" in [a.action for a in st.allowed]


async def test_the_cli_sends_an_issue_up_and_records_the_direction(
    cli_env: dict[str, str], harness: Harness, registry: Registry, directory: Directory
) -> None:
    case_id = await new_case(harness, registry, directory, "issue-cli")
    drafter, chair = as_person(cli_env, "nguyen.van.an"), as_person(cli_env, "bui.van.khoa")
    one = await legisflow(drafter, "issue", case_id, "--question", QUESTION, "--option", "A")
    assert one.code == 1
    assert "options" in one.stderr
    run = await legisflow(
        drafter, "issue", case_id, "--question", QUESTION,
        "--option", OPTIONS[0], "--option", OPTIONS[1],
    )  # fmt: skip
    assert run.code == 0, run.stderr
    assert "vấn đề 1 → Chủ tịch Ủy ban nhân dân tỉnh" in run.stdout
    refused = await legisflow(drafter, "direct", case_id, "1", "--direction", "Làm A")
    assert refused.code == 2
    assert "wrong_role" in refused.stderr
    run = await legisflow(
        chair, "direct", case_id, "1", "--option", "1", "--direction", "Giữ mức thu",
        "--no-interest",
    )  # fmt: skip
    assert run.code == 0, run.stderr
    shown = await legisflow(drafter, "status", case_id)
    assert "directed by bui.van.khoa: Giữ mức thu" in shown.stdout
