"""Consultation end to end on the real server: requests to bodies with their deadlines,
public comments with duplicates, dispositions, the guard before appraisal, the generated
synthesis report, and thousands of comments across continue-as-new."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest
from docx import Document

from client.cases import act, reply, stage, start_case, status
from client.comments import comment, comment_entries, comments_summary, dispose, ledger_id
from client.errors import CaseActionRefused, CaseError
from localdev.walkthrough import allows, wait_for_status
from models.actors import Directory
from models.case import ActionRequest, ReplyRequest
from models.choices import Disposition
from models.comments import CommentRequest, DispositionRequest, text_hash
from models.registry import Registry
from models.starting import StartRequest
from tests.conftest import Harness
from tests.workflows.after_issuance import until
from workflows.drafting.comment_ledger import CommentLedger, LedgerInput

DAY = 0.05  # seconds per legal day: the 30-day posting lasts 1.5 s, a 10-day reply 0.5 s


async def open_consultation(
    harness: Harness,
    registry: Registry,
    directory: Directory,
    slug: str,
    day: float = DAY,
    **extra: Any,
) -> str:
    handle = await start_case(
        harness.client,
        directory,
        StartRequest(
            definition=registry.get("qd_ubnd_tinh"),
            title=f"Quy định {slug}",
            starter="nguyen.van.an",
            slug=slug,
            legal_day_seconds=day,
            **extra,
        ),
        task_queue=harness.settings.task_queue,
    )
    draft = harness.store.put_blob(f"Dự thảo {slug}".encode(), "du-thao.md", "text/markdown")
    await act(
        harness.client,
        handle.id,
        ActionRequest(
            declare_no_interest=True,
            action="open_consultation",
            actor="nguyen.van.an",
            document=draft,
        ),
    )
    await wait_for_status(harness.client, handle.id, lambda s: s.pending_effects == 0, timeout=120)
    return handle.id


def messages(harness: Harness, case_id: str, kind: str) -> list[Any]:
    return [m for m in harness.outbox.list_messages() if m.case_id == case_id and m.kind == kind]


async def test_fan_out_with_a_late_body(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    # 0.6 s legal days: the prompt reply lands well inside its 10 days (6 s) even on a busy
    # machine, and the late body's deadline still passes within the test.
    case_id = await open_consultation(harness, registry, directory, "fan-out", day=0.6)
    h = harness.client
    st = await status(h, case_id)
    assert {c.role for c in st.consultations} == {"front_committee", "affected_group"}
    # The cheap stage query agrees with the full status.
    where = await stage(h, case_id)
    assert (where.stage, where.stage_label, where.final, where.overdue) == (
        st.stage,
        st.stage_label,
        False,
        False,
    )

    # Each body was asked, separately, with its own deadline. The requests are children
    # that send their notice once started: wait for both, not for luck.
    async def both_asked() -> list[Any]:
        asked = messages(harness, case_id, "consultation_request")
        return asked if len(asked) >= 2 else []

    asked = await until("both consultation requests", both_asked)
    assert sorted(r.actor_id for m in asked for r in m.recipients) == ["cao.van.tien", "y.bham.nie"]
    # The draft was posted on the consultation portal.
    assert len(list((harness.settings.data_dir / "publications").rglob("*.json"))) == 1

    await reply(
        h,
        case_id,
        ReplyRequest(declare_no_interest=True, actor="y.bham.nie", note="Đồng ý với dự thảo"),
    )
    # The other body lets its 10 days pass: reminder, then overdue and escalation.
    late = await wait_for_status(
        h, case_id, lambda s: any(c.overdue for c in s.consultations), timeout=120
    )
    [overdue] = [c for c in late.consultations if c.overdue]
    assert overdue.role == "affected_group"
    assert [
        r.actor_id
        for m in messages(harness, case_id, "consultation_reminder")
        for r in m.recipients
    ] == ["cao.van.tien"]
    # Sent before the request tells the case it is overdue, so it is there already.
    [escalation] = messages(harness, case_id, "consultation_overdue")
    assert {r.actor_id for r in escalation.recipients} == {"tran.van.cuong", "cao.van.tien"}
    audit = await h.get_workflow_handle(case_id).query("audit")
    assert [e["note"] for e in audit if e["action"] == "reply_overdue"] == [overdue.label]
    # A late reply is still recorded, once.
    await reply(
        h, case_id, ReplyRequest(declare_no_interest=True, actor="cao.van.tien", note="Góp ý muộn")
    )
    with pytest.raises(CaseActionRefused) as again:
        await reply(
            h, case_id, ReplyRequest(declare_no_interest=True, actor="cao.van.tien", note="Lần hai")
        )
    assert again.value.code == "already_replied"
    replies = [
        e for e in await h.get_workflow_handle(case_id).query("audit") if e["action"] == "reply"
    ]
    assert [e["actor"] for e in replies] == ["y.bham.nie", "cao.van.tien"]


async def test_identical_comments_are_counted_not_lost(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    case_id = await open_consultation(harness, registry, directory, "form-letter")
    h, store = harness.client, harness.store
    letter = "Đề nghị giữ nguyên mức phí trông giữ xe như hiện hành."
    first = await comment(h, store, case_id, author="Nguyễn Thị Mai", text=letter)
    second = await comment(
        h, store, case_id, author="Trần Văn Nam", text=f"  {letter}\n", source="Hiệp hội Vận tải"
    )
    third = await comment(h, store, case_id, author="Lê Văn Tú", text=letter)
    other = await comment(h, store, case_id, author="Phạm Hoa", text="Cần làm rõ Điều 5.")
    assert (first.duplicate, second.duplicate, third.duplicate, other.duplicate) == (
        False,
        True,
        True,
        False,
    )
    assert first.comment_id == second.comment_id == third.comment_id != other.comment_id
    assert third.count == 3
    summary = await comments_summary(h, case_id)
    assert (summary.submissions, summary.distinct, summary.duplicates, summary.open) == (4, 2, 2, 2)
    assert summary.by_source == {"public": 3, "Hiệp hội Vận tải": 1}
    # Every submission is kept in the store, with its author.
    [entry, _] = await comment_entries(h, store, case_id)
    body = json.loads(store.get_blob(entry.ref))
    assert body == {"author": "Nguyễn Thị Mai", "source": "public", "text": letter}


async def test_guard_blocks_then_lets_appraisal_through_and_report_lists_everything(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    case_id = await open_consultation(harness, registry, directory, "guard-report")
    h, store = harness.client, harness.store
    texts = [
        "Bổ sung định nghĩa 'xe công vụ'.",
        "Giảm thời hạn cấp phép xuống 5 ngày.",
        "Đề nghị không thu phí vào ngày lễ.",
    ]
    ids = [
        (await comment(h, store, case_id, author=f"Người {i}", text=t)).comment_id
        for i, t in enumerate(texts)
    ]
    await comment(h, store, case_id, author="Người 9", text=texts[0])  # a duplicate
    await wait_for_status(h, case_id, allows("close_consultation"), timeout=120)
    await act(
        h,
        case_id,
        ActionRequest(declare_no_interest=True, action="close_consultation", actor="nguyen.van.an"),
    )
    # The case tells its ledger the period is over (a signal, right after the decision).
    await wait_for_status(h, case_id, lambda s: s.pending_effects == 0, timeout=120)
    # Comments after the period: refused, nothing stored in the ledger.
    with pytest.raises(CaseActionRefused) as late:
        await comment(h, store, case_id, author="Muộn", text="Góp ý sau hạn")
    assert late.value.code == "period_closed"
    # The drafters cannot submit the synthesis while comments lack a disposition.
    st = await wait_for_status(h, case_id, lambda s: s.comments_pending, timeout=120)
    [blocked] = [b for b in st.blocked if b.action == "submit_synthesis"]
    assert "some comments still lack a disposition" in blocked.reason
    with pytest.raises(CaseActionRefused) as refused:
        await act(
            h,
            case_id,
            ActionRequest(
                declare_no_interest=True, action="submit_synthesis", actor="nguyen.van.an"
            ),
        )
    assert refused.value.code == "guard_failed"
    # The refusal names the comments still waiting.
    assert f"{ids[0]}, {ids[1]}, {ids[2]}" in str(refused.value)
    answers = [
        DispositionRequest(
            declare_no_interest=True,
            comment_id=ids[0],
            disposition=Disposition.ACCEPTED,
            actor="le.thi.binh",
        ),
        DispositionRequest(
            declare_no_interest=True,
            comment_id=ids[1],
            disposition=Disposition.PARTLY,
            actor="le.thi.binh",
            reason="Giảm xuống 7 ngày",
        ),
        DispositionRequest(
            declare_no_interest=True,
            comment_id=ids[2],
            disposition=Disposition.EXPLAINED,
            actor="nguyen.van.an",
            reason="Phí do HĐND quyết định",
        ),
    ]
    for a in answers:
        await dispose(h, case_id, a)
    await wait_for_status(h, case_id, allows("submit_synthesis"), timeout=120)
    await act(
        h,
        case_id,
        ActionRequest(declare_no_interest=True, action="submit_synthesis", actor="nguyen.van.an"),
    )
    st = await wait_for_status(h, case_id, lambda s: s.pending_effects == 0, timeout=120)
    report = {
        v.document.name.rsplit(".", 1)[1]: v
        for v in st.documents
        if v.document.name.startswith("bao-cao-tong-hop")
    }
    assert set(report) == {"docx", "md"}
    md = store.get_blob(report["md"].document.sha256).decode()
    for text in texts:
        assert text in md
    assert "Tiếp thu / Accepted" in md
    assert "Tiếp thu một phần / Partly accepted: Giảm xuống 7 ngày" in md
    assert "Giải trình, không tiếp thu / Not accepted, explained: Phí do HĐND quyết định" in md
    assert "Submissions: 4" in md
    doc = Document(io.BytesIO(store.get_blob(report["docx"].document.sha256)))
    [table] = doc.tables
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]
    assert [r[0] for r in rows] == ids
    assert [r[2] for r in rows] == ["2", "1", "1"]
    # The appraisal request then closes the consultation and the ledger becomes final.
    await wait_for_status(h, case_id, allows("request_appraisal"), timeout=120)
    await act(
        h,
        case_id,
        ActionRequest(declare_no_interest=True, action="request_appraisal", actor="tran.van.cuong"),
    )
    ledger = h.get_workflow_handle(ledger_id(case_id))
    final = await ledger.result()
    assert final["open"] == 0
    assert final["submissions"] == 4


async def test_bad_input_is_refused_and_nothing_is_counted_twice(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    case_id = await open_consultation(harness, registry, directory, "bad-input")
    h, store = harness.client, harness.store
    with pytest.raises(CaseError, match="empty"):
        await comment(h, store, case_id, author="A", text="   ")
    with pytest.raises(CaseError, match="at most 20000"):
        await comment(h, store, case_id, author="A", text="x" * 20_001)
    receipt = await comment(h, store, case_id, author="A", text="Một góp ý hợp lệ")
    with pytest.raises(CaseActionRefused) as unknown:
        await dispose(
            h,
            case_id,
            DispositionRequest(
                declare_no_interest=True,
                comment_id="C99999",
                disposition=Disposition.ACCEPTED,
                actor="nguyen.van.an",
            ),
        )
    assert unknown.value.code == "unknown_comment"
    assert "C99999" in str(unknown.value)
    assert "C00001 … C00001" in str(unknown.value)
    with pytest.raises(CaseActionRefused) as wrong:
        await dispose(
            h,
            case_id,
            DispositionRequest(
                declare_no_interest=True,
                comment_id=receipt.comment_id,
                disposition=Disposition.ACCEPTED,
                actor="pham.thi.dung",
            ),
        )
    assert wrong.value.code == "wrong_role"
    with pytest.raises(ValueError, match="needs a reason"):
        DispositionRequest(
            declare_no_interest=True,
            comment_id=receipt.comment_id,
            disposition=Disposition.EXPLAINED,
            actor="nguyen.van.an",
        )
    # A client retrying the same submission (same id) after an ambiguous failure, even in a
    # later run of the ledger, is recognised: counted once.
    body = store.put_blob(b'{"author": "B", "text": "Lap lai"}', "gop-y.json")
    again = CommentRequest(
        author="B", text_sha256=text_hash("Lap lai"), chars=7, body=body, submission_id="retry-1"
    )
    ledger = h.get_workflow_handle(ledger_id(case_id))
    first = await ledger.execute_update(CommentLedger.comment, again)
    second = await ledger.execute_update(CommentLedger.comment, again)
    assert (first.duplicate, second.duplicate, second.comment_id) == (False, True, first.comment_id)
    summary = await comments_summary(h, case_id)
    assert (summary.submissions, summary.distinct, summary.open) == (2, 2, 2)
    with pytest.raises(CaseError, match="no open consultation"):
        await comment(h, store, "khong-co:ho-so", author="A", text="?")


async def test_thousands_of_comments_across_continue_as_new(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    """A small threshold forces several runs; every comment and disposition survives."""
    case_id = await open_consultation(
        harness, registry, directory, "many", comment_ledger_events=200
    )
    h, store = harness.client, harness.store
    distinct = 120
    for i in range(300):
        await comment(
            h,
            store,
            case_id,
            author=f"Công dân {i}",
            text=f"Góp ý số {i % distinct}: sửa khoản {i % distinct}.",
        )
        if i == 150:  # dispose of a few mid-way, before later runs
            for cid in ("C00001", "C00002"):
                await dispose(
                    h,
                    case_id,
                    DispositionRequest(
                        declare_no_interest=True,
                        comment_id=cid,
                        disposition=Disposition.ACCEPTED,
                        actor="nguyen.van.an",
                    ),
                )
    summary = await comments_summary(h, case_id)
    assert summary.runs > 1
    assert (summary.submissions, summary.distinct, summary.open) == (300, distinct, distinct - 2)
    entries = await comment_entries(h, store, case_id, limit=None)
    assert [e.id for e in entries] == [f"C{i:05d}" for i in range(1, distinct + 1)]
    assert sum(e.count for e in entries) == 300
    assert [e.disposition for e in entries[:2]] == [Disposition.ACCEPTED] * 2
    # No run came near Temporal's limits.
    ledger = h.get_workflow_handle(ledger_id(case_id))
    assert len((await ledger.fetch_history()).events) < 400


async def test_a_cancelled_comment_stops_instead_of_retrying(harness: Harness) -> None:
    """Ctrl-C (task cancellation) while a comment is on its way: the client stops at once;
    it must not take the cancellation for a lost connection and send again."""
    ledger = await harness.client.start_workflow(
        CommentLedger.run,
        LedgerInput(case_id="no-such-case", ledger_id="stalled/comments", drafters=["x"]),
        id="stalled/comments",
        task_queue="nobody-polls-this-queue",  # the Update waits for a worker forever
    )
    sending = asyncio.create_task(
        comment(harness.client, harness.store, "stalled", author="A", text="Góp ý")
    )
    await asyncio.sleep(0.5)  # let it reach the server: cancelling earlier proves nothing
    assert not sending.done()
    sending.cancel()
    done, _ = await asyncio.wait({sending}, timeout=60)
    await ledger.terminate("test over")  # also ends a client that kept on sending
    assert done, "the cancelled comment was still being sent 60 s later"
    with pytest.raises(asyncio.CancelledError):
        await sending
