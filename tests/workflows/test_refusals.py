"""Every kind of refusal reaches the caller with its reason and writes nothing to history."""

from __future__ import annotations

import pytest
from temporalio.client import Client

from activities.outbox import OutboxNotifier
from client.cases import act, start_case, status
from client.errors import CaseActionRefused, CaseError
from localdev.walkthrough import allows, wait_for_status, walk
from models.actors import Directory
from models.case import ActionRequest
from models.deliveries import Notification
from models.documents import DocumentRef
from models.registry import Registry
from models.starting import StartRequest
from tests.conftest import Harness
from tests.workflows.after_issuance import messages, until


async def history_length(client: Client, case_id: str) -> int:
    history = await client.get_workflow_handle(case_id).fetch_history()
    return len(history.events)


async def start(
    harness: Harness,
    registry: Registry,
    directory: Directory,
    slug: str,
    legal_day_seconds: float = 86400.0,
) -> str:
    handle = await start_case(
        harness.client,
        directory,
        StartRequest(
            definition=registry.get("qd_ubnd_tinh"),
            title="Quy định về quản lý cây xanh đô thị",
            starter="nguyen.van.an",
            slug=slug,
            legal_day_seconds=legal_day_seconds,
        ),
        task_queue=harness.settings.task_queue,
    )
    return handle.id


def draft(harness: Harness) -> DocumentRef:
    return harness.store.put_blob("Dự thảo 1".encode(), "du-thao-1.md", "text/markdown")


async def assert_refused(
    harness: Harness, case_id: str, request: ActionRequest, code: str, *fragments: str
) -> None:
    """The action is refused with ``code`` and a message naming ``fragments``; the
    workflow's history is exactly as long as before."""
    settled = await wait_for_status(
        harness.client, case_id, lambda s: s.pending_effects == 0, timeout=120
    )
    before = await history_length(harness.client, case_id)
    stage_before = settled.stage
    with pytest.raises(CaseActionRefused) as refused:
        await act(harness.client, case_id, request)
    assert refused.value.code == code
    for fragment in fragments:
        assert fragment in str(refused.value)
    assert await history_length(harness.client, case_id) == before
    assert (await status(harness.client, case_id)).stage == stage_before


async def test_action_not_allowed_in_stage(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    case_id = await start(harness, registry, directory, "illegal")
    await assert_refused(
        harness,
        case_id,
        ActionRequest(declare_no_interest=True, action="sign", actor="bui.van.khoa"),
        "illegal_action",
        "'sign'",
        "open_consultation",
    )


async def test_unknown_action(harness: Harness, registry: Registry, directory: Directory) -> None:
    case_id = await start(harness, registry, directory, "unknown-action")
    await assert_refused(
        harness,
        case_id,
        ActionRequest(declare_no_interest=True, action="publish_now", actor="nguyen.van.an"),
        "illegal_action",
        "publish_now",
    )


async def test_actor_without_the_role(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    case_id = await start(harness, registry, directory, "wrong-role")
    await assert_refused(
        harness,
        case_id,
        ActionRequest(
            declare_no_interest=True,
            action="open_consultation",
            actor="pham.thi.dung",
            document=draft(harness),
        ),
        "wrong_role",
        "pham.thi.dung",
        "drafter",
    )


async def test_document_required(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    case_id = await start(harness, registry, directory, "no-document")
    await assert_refused(
        harness,
        case_id,
        ActionRequest(declare_no_interest=True, action="open_consultation", actor="nguyen.van.an"),
        "document_required",
        "--file",
    )


async def test_guard_minimum_consultation_period(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    case_id = await start(harness, registry, directory, "guard")
    await act(
        harness.client,
        case_id,
        ActionRequest(
            declare_no_interest=True,
            action="open_consultation",
            actor="nguyen.van.an",
            document=draft(harness),
        ),
    )
    await assert_refused(
        harness,
        case_id,
        ActionRequest(declare_no_interest=True, action="close_consultation", actor="nguyen.van.an"),
        "guard_failed",
        "30",
        "earliest",
    )
    st = await status(harness.client, case_id)
    assert [b.action for b in st.blocked] == ["close_consultation"]
    assert "close_consultation" not in [a.action for a in st.allowed]


async def test_four_eyes(harness: Harness, registry: Registry, directory: Directory) -> None:
    """tran.van.cuong is both drafter and drafting head: he may submit the synthesis or
    approve sending it for appraisal, not both."""
    # A 10 ms legal day so the 30-day consultation is over in 0.3 s.
    case_id = await start(harness, registry, directory, "four-eyes", legal_day_seconds=0.01)
    h = harness.client
    await act(
        h,
        case_id,
        ActionRequest(
            declare_no_interest=True,
            action="open_consultation",
            actor="nguyen.van.an",
            document=draft(harness),
        ),
    )
    await wait_for_status(h, case_id, allows("close_consultation"), timeout=120)
    await act(
        h,
        case_id,
        ActionRequest(declare_no_interest=True, action="close_consultation", actor="nguyen.van.an"),
    )
    await act(
        h,
        case_id,
        ActionRequest(
            declare_no_interest=True,
            action="submit_synthesis",
            actor="tran.van.cuong",
            document=draft(harness),
        ),
    )
    await assert_refused(
        harness,
        case_id,
        ActionRequest(declare_no_interest=True, action="request_appraisal", actor="tran.van.cuong"),
        "four_eyes",
        "tran.van.cuong",
        "cannot also approve",
    )
    # He is the only drafting head here, so nobody may approve until the step is redone.
    st = await status(h, case_id)
    assert "request_appraisal" not in [a.action for a in st.allowed]
    assert "return_for_revision" in [a.action for a in st.allowed]


async def test_automatic_action_cannot_be_taken_by_hand(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    case_id = await start(harness, registry, directory, "automatic")
    await assert_refused(
        harness,
        case_id,
        ActionRequest(declare_no_interest=True, action="enter_into_force", actor="nguyen.van.an"),
        "illegal_action",
        "enter_into_force",
    )


async def test_starting_twice_is_refused(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    await start(harness, registry, directory, "twice")
    with pytest.raises(CaseError, match="already exists"):
        await start(harness, registry, directory, "twice")


async def test_start_by_someone_without_the_drafter_role(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    with pytest.raises(CaseError, match="does not hold role 'drafter'"):
        await start_case(
            harness.client,
            directory,
            StartRequest(
                definition=registry.get("qd_ubnd_tinh"),
                title="Không được phép",
                starter="bui.van.khoa",
            ),
            task_queue=harness.settings.task_queue,
        )


def returning(note: str) -> ActionRequest:
    return ActionRequest(
        declare_no_interest=True, action="return_for_revision", actor="tran.van.cuong", note=note
    )


async def test_a_return_must_say_why_and_the_drafters_are_told_it(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    """Withdrawing or returning a draft without a reason is refused and writes nothing; the
    reason given is in the drafters' new assignment, with the link to the case page."""
    case_id = await start(harness, registry, directory, "tra-lai", legal_day_seconds=0.05)
    await assert_refused(
        harness,
        case_id,
        ActionRequest(declare_no_interest=True, action="withdraw", actor="tran.van.cuong"),
        "note_required",
        "cần ghi rõ lý do",
    )
    definition = registry.get("qd_ubnd_tinh")
    await walk(harness.client, case_id, definition, harness.store, target="dossier_review")
    await assert_refused(
        harness,
        case_id,
        returning(note="  "),
        "note_required",
    )
    why = "Chưa đánh giá tác động đối với hộ kinh doanh"
    await act(
        harness.client,
        case_id,
        returning(note=why),
    )
    outbox = OutboxNotifier(harness.settings.outbox_dir)

    async def told() -> list[Notification]:
        await wait_for_status(
            harness.client, case_id, lambda s: s.pending_effects == 0, timeout=120
        )
        return [m for m in messages(outbox, case_id, "assignment") if why in m.body]

    notices = await until("the drafters' assignment with the reason", told, 120)
    assert "Hồ sơ được trả lại / The case came back: Trả lại để hoàn thiện" in notices[0].body
    assert notices[0].link == f"/ho-so/{case_id}"
    assert {r.actor_id for r in notices[0].recipients} >= {"nguyen.van.an", "le.thi.binh"}
