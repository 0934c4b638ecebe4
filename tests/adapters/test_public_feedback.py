"""The portal's feedback on documents in force in a real database (SQLite, the embedded
default, and a real PostgreSQL server: ``tests/postgres.py``), and its forwarder against the
session's Temporal server: a delivery whose result was lost is delivered again and received
once, also when the monitoring has continued as new in between."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from client.after_issuance import monitoring_status, submit_feedback
from client.portal_feedback import UPDATE_ID_PREFIX, deliver_feedback, monitoring_run
from models.actors import Directory
from models.choices import Category
from models.feedback import FeedbackReceipt
from models.monitoring import MonitoringInput
from models.public_feedback import PortalFeedback
from models.registry import Registry
from portal.feedback_forwarder import NO_LONGER_IN_FORCE, FeedbackForwarder
from public_records.feedback import LEASE, PublicFeedback, is_feedback_code
from tests.conftest import Harness
from tests.workflows.after_issuance import in_force, monitored, until
from workflows.after_issuance.monitoring import DocumentMonitoring

NAME = "Nguyễn Văn An"
CONTACT = "an@example.vn"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def records(request: pytest.FixtureRequest, tmp_path: Path) -> PublicFeedback:
    if request.param == "sqlite":
        return PublicFeedback.at(f"sqlite:///{tmp_path / 'public.sqlite3'}")
    return PublicFeedback.at(request.getfixturevalue("postgres_url"))


def _feedback(case_id: str, text: str, contact: str = CONTACT, **kw: Any) -> PortalFeedback:
    return PortalFeedback.model_validate(
        {"case_id": case_id, "kind": "report", "name": NAME, "contact": contact, "text": text,
         **kw}
    )  # fmt: skip


def _case() -> str:
    return f"so-xd-daklak:case-{uuid.uuid4().hex[:8]}"


# ---- the store -----------------------------------------------------------------------------


def test_a_feedback_gets_a_code_that_finds_it_without_personal_data(
    records: PublicFeedback,
) -> None:
    case_id = _case()
    receipt = records.submit(_feedback(case_id, "Điều 5 khó thực hiện.", kind="recommendation"),
                             "Quy định về nhà ở")  # fmt: skip
    assert not receipt.duplicate
    assert receipt.tracking_code.startswith("PA-")
    assert is_feedback_code(receipt.tracking_code.lower())
    tracked = records.tracked(receipt.tracking_code.lower().replace("-", " "))
    assert tracked is not None
    assert (tracked.case_id, tracked.title, tracked.kind, tracked.text) == (
        case_id, "Quy định về nhà ở", Category.RECOMMENDATION, "Điều 5 khó thực hiện.",
    )  # fmt: skip
    assert (tracked.feedback_id, tracked.refused) == (None, None)
    dumped = tracked.model_dump_json()
    assert NAME not in dumped
    assert CONTACT not in dumped
    assert records.tracked("PA-0000-0000") is None
    assert records.tracked("GY-" + receipt.tracking_code[3:]) is None  # a comment's prefix
    assert not is_feedback_code("GY-0000-0000")
    assert records.tracked("not a code") is None


def test_the_same_text_from_one_contact_on_one_document_counts_once(
    records: PublicFeedback,
) -> None:
    case_id, other_case = _case(), _case()
    first = records.submit(_feedback(case_id, "Phí  quá cao."), "T")
    again = records.submit(_feedback(case_id, "Phí quá cao. ", kind="recommendation"), "T")
    other_contact = records.submit(_feedback(case_id, "Phí quá cao.", "0912 345 678"), "T")
    other_document = records.submit(_feedback(other_case, "Phí quá cao."), "T")
    assert again.duplicate
    assert again.tracking_code == first.tracking_code
    assert not other_contact.duplicate
    assert not other_document.duplicate
    codes = {first.tracking_code, other_contact.tracking_code, other_document.tracking_code}
    assert len(codes) == 3
    found = records.tracked(first.tracking_code)
    assert found is not None
    assert found.kind is Category.REPORT  # the first receipt's record, unchanged


def test_bad_input_is_refused_before_the_database() -> None:
    with pytest.raises(ValidationError, match="e-mail address or a phone number"):
        _feedback("c", "text", contact="not a contact")
    with pytest.raises(ValidationError, match="text"):
        _feedback("c", " \u00a0 ")
    with pytest.raises(ValidationError, match="kind"):
        _feedback("c", "text", kind="complaint")
    with pytest.raises(ValidationError):
        _feedback("c", "x" * 20_001)


def test_each_row_is_claimed_by_one_forwarder_at_a_time(records: PublicFeedback) -> None:
    case_id = _case()
    rows = [records.submit(_feedback(case_id, f"Phản ánh {i}"), "T", now=T0) for i in range(60)]
    assert records.pending() >= 60

    def claim(_: int) -> list[int]:
        return [d.row for d in records.claim(T0 + timedelta(seconds=1), limit=1000)
                if d.case_id == case_id]  # fmt: skip

    with ThreadPoolExecutor(8) as pool:
        claimed = [row for rows_ in pool.map(claim, range(8)) for row in rows_]
    assert len(claimed) == len(set(claimed)) == len(rows)
    # Leased: nobody gets them again until the lease ends, then with the attempt counted.
    assert claim(0) == []
    again = [d for d in records.claim(T0 + LEASE + timedelta(seconds=2), 1000)
             if d.case_id == case_id]  # fmt: skip
    assert len(again) == 60
    assert {d.attempts for d in again} == {2}
    assert {d.kind for d in again} == {Category.REPORT}
    assert all(d.run_id is None and len(d.key) == 32 for d in again)


def test_a_row_is_pinned_to_one_run_and_recorded_once(records: PublicFeedback) -> None:
    case_id = _case()
    code = records.submit(_feedback(case_id, "Một phản ánh"), "T", now=T0).tracking_code
    (d,) = [d for d in records.claim(T0, 1000) if d.case_id == case_id]
    assert d.monitoring_id == f"{case_id}/monitoring"
    assert records.pin(d.row, "run-1") == "run-1"
    assert records.pin(d.row, "run-x") == "run-1"  # pinned already: the first pin holds
    assert records.pin(d.row, "run-2", replacing="run-x") == "run-1"
    assert records.pin(d.row, "run-2", replacing="run-1") == "run-2"

    # A failure under its key: retried later with a new key, the run pin kept.
    records.retry(d.row, "not_received: …", T0 + timedelta(minutes=1), replace_key=d.key)
    assert records.last_error(d.row) == "not_received: …"
    assert [x for x in records.claim(T0 + timedelta(seconds=30), 1000) if x.row == d.row] == []
    (d2,) = [x for x in records.claim(T0 + timedelta(minutes=1), 1000) if x.row == d.row]
    assert (d2.run_id, d2.attempts) == ("run-2", 2)
    assert d2.key != d.key
    # Retried without a new key (the outcome is unknown): the same key.
    records.retry(d.row, "timeout", T0 + timedelta(minutes=2))
    (d3,) = [x for x in records.claim(T0 + timedelta(minutes=2), 1000) if x.row == d.row]
    assert d3.key == d2.key

    assert records.delivered(d.row, f"{case_id}/monitoring/feedback/1") == (
        f"{case_id}/monitoring/feedback/1"
    )
    assert records.delivered(d.row, f"{case_id}/monitoring/feedback/2") == (
        f"{case_id}/monitoring/feedback/1"
    )
    assert [x for x in records.claim(T0 + timedelta(days=1), 1000) if x.row == d.row] == []
    found = records.tracked(code)
    assert found is not None
    assert found.feedback_id == f"{case_id}/monitoring/feedback/1"
    assert found.forwarded_at is not None
    assert records.last_error(d.row) is None


def test_a_refused_row_leaves_the_queue_and_says_why(records: PublicFeedback) -> None:
    case_id = _case()
    code = records.submit(_feedback(case_id, "Muộn"), "T", now=T0).tracking_code
    (d,) = [d for d in records.claim(T0, 1000) if d.case_id == case_id]
    records.refuse(d.row, NO_LONGER_IN_FORCE)
    assert [x for x in records.claim(T0 + timedelta(days=1), 1000) if x.row == d.row] == []
    found = records.tracked(code)
    assert found is not None
    assert found.refused == NO_LONGER_IN_FORCE


# ---- the forwarder, against Temporal -------------------------------------------------------


async def _document(harness: Harness, registry: Registry, directory: Directory, slug: str) -> str:
    doc = await in_force(
        harness.client,
        directory,
        registry.get("qd_ubnd_tinh"),
        harness.store,
        slug=slug,
        task_queue=harness.settings.task_queue,
        legal_day_seconds=86400,
    )
    await monitored(harness.client, doc)
    return doc


def losing_the_first_result() -> tuple[Any, list[FeedbackReceipt]]:
    """A ``send`` that delivers for real and then loses the first result (the connection
    dropped as the answer came back), and what it really delivered."""
    lost: list[FeedbackReceipt] = []

    async def send(*args: Any, **kw: Any) -> FeedbackReceipt:
        receipt = await deliver_feedback(*args, **kw)
        if not lost:
            lost.append(receipt)
            raise ConnectionError("the answer was lost on the way back")
        return receipt

    return send, lost


async def _exists(client: Client, workflow_id: str) -> bool:
    try:
        await client.get_workflow_handle(workflow_id).describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def _portal_updates(client: Client, workflow_id: str, run_id: str | None = None) -> list[str]:
    """The ids of the portal's Updates a run of ``workflow_id`` accepted, in order."""
    history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    accepted = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ids = [
        e.workflow_execution_update_accepted_event_attributes.accepted_request.meta.update_id
        for e in history.events
        if e.event_type == accepted
    ]
    return [i for i in ids if i.startswith(UPDATE_ID_PREFIX)]


async def test_a_delivery_whose_result_was_lost_is_not_delivered_twice(
    harness: Harness, registry: Registry, directory: Directory, tmp_path: Path
) -> None:
    doc = await _document(harness, registry, directory, "phan-anh-mat-ket-qua")
    records = PublicFeedback.at(f"sqlite:///{tmp_path / 'public.sqlite3'}")
    code = records.submit(_feedback(doc, "Hồ sơ cấp phép chưa rõ."), "T").tracking_code
    send, lost = losing_the_first_result()
    forwarder = FeedbackForwarder(records, harness.store, harness.client, send=send)
    now = datetime.now(UTC)

    assert await forwarder.deliver_due(now) == 1
    assert len(lost) == 1  # the monitoring received it and started its case …
    found = records.tracked(code)
    assert found is not None
    assert found.feedback_id is None  # … but the forwarder never heard
    assert records.pending() == 1
    assert await forwarder.deliver_due(now) == 0  # leased and backing off: not at once

    # The next attempt, once due, gets the first delivery's receipt.
    assert await forwarder.deliver_due(now + timedelta(minutes=1)) == 1
    found = records.tracked(code)
    assert found is not None
    assert found.feedback_id == lost[0].feedback_id == f"{doc}/monitoring/feedback/1"
    assert records.pending() == 0
    st = await monitoring_status(harness.client, doc)
    assert st.totals.feedback_received == 1
    assert not await _exists(harness.client, f"{doc}/monitoring/feedback/2")
    # Sent twice, accepted once: the run answered the second from its record.
    assert len(await _portal_updates(harness.client, f"{doc}/monitoring")) == 1


async def test_a_lost_delivery_is_found_in_its_run_after_continue_as_new(
    harness: Harness, registry: Registry, directory: Directory, tmp_path: Path
) -> None:
    """One row delivered with its result lost, another pinned to the run but never sent; the
    monitoring then continues as new. The first gets its receipt from the run that took it,
    the second goes to the new run: one feedback case each."""
    doc = await _document(harness, registry, directory, "phan-anh-chay-moi")
    mon = await monitoring_status(harness.client, doc)
    # A monitoring of the same document that continues as new after 100 events.
    case_id = f"{doc}-tiep"
    inp = MonitoringInput(
        monitoring_id=f"{case_id}/monitoring",
        document=mon.document,
        case_assignments={},
        in_force_at=mon.in_force_at,
        time=mon.time,
        continue_after_events=100,
    )
    handle = await harness.client.start_workflow(
        DocumentMonitoring.run, inp, id=inp.monitoring_id, task_queue=harness.settings.task_queue
    )
    await monitored(harness.client, case_id)
    first_run = await monitoring_run(harness.client, case_id)
    assert first_run is not None

    records = PublicFeedback.at(f"sqlite:///{tmp_path / 'public.sqlite3'}")
    sent = records.submit(_feedback(case_id, "Gửi rồi, mất kết quả"), "T").tracking_code
    pinned = records.submit(_feedback(case_id, "Chốt lượt chạy, chưa gửi"), "T").tracking_code
    send, lost = losing_the_first_result()
    forwarder = FeedbackForwarder(records, harness.store, harness.client, send=send, batch=1)
    now = datetime.now(UTC)
    assert await forwarder.deliver_due(now) == 1  # the first row: sent, its result lost
    (never_sent,) = records.claim(now, 10)  # the second: pinned, then the forwarder died
    assert records.pin(never_sent.row, first_run) == first_run
    assert len(lost) == 1

    async def continued() -> bool:
        st = await monitoring_status(harness.client, case_id)
        if st.runs > 1:
            return True
        await submit_feedback(harness.client, harness.store, case_id, author="—", text="đệm")
        return False

    await until("the monitoring to continue as new", continued, timeout=120)
    second_run = await monitoring_run(harness.client, case_id)
    assert second_run not in (None, first_run)
    before = (await monitoring_status(harness.client, case_id)).totals.feedback_received

    later = now + LEASE + timedelta(minutes=1)
    assert await forwarder.deliver_due(later) == 1
    assert await forwarder.deliver_due(later) == 1
    first, second = records.tracked(sent), records.tracked(pinned)
    assert first is not None
    assert second is not None
    assert first.feedback_id == lost[0].feedback_id  # from the closed run's record
    assert second.feedback_id is not None
    assert second.feedback_id != first.feedback_id
    st = await monitoring_status(harness.client, case_id)
    assert st.totals.feedback_received == before + 1  # only the never-sent one is new
    assert records.pending() == 0
    # Each row's Update was accepted once, by one run.
    in_first = await _portal_updates(harness.client, inp.monitoring_id, first_run)
    in_second = await _portal_updates(harness.client, inp.monitoring_id, second_run)
    assert len(in_first) == len(in_second) == 1
    assert in_first != in_second
    await handle.terminate("test done")


async def test_a_document_no_longer_in_force_refuses_and_the_row_says_so(
    harness: Harness, tmp_path: Path
) -> None:
    records = PublicFeedback.at(f"sqlite:///{tmp_path / 'public.sqlite3'}")
    code = records.submit(_feedback("so-xd-daklak:khong-co", "Không có văn bản"), "T")
    forwarder = FeedbackForwarder(records, harness.store, harness.client)
    assert await forwarder.deliver_due() == 1
    found = records.tracked(code.tracking_code)
    assert found is not None
    assert found.refused == NO_LONGER_IN_FORCE
    assert records.pending() == 0


async def test_the_forwarder_wakes_on_a_submission(
    harness: Harness, registry: Registry, directory: Directory, tmp_path: Path
) -> None:
    doc = await _document(harness, registry, directory, "phan-anh-danh-thuc")
    records = PublicFeedback.at(f"sqlite:///{tmp_path / 'public.sqlite3'}")
    # A period far longer than the test: only the wake can make it deliver.
    forwarder = FeedbackForwarder(records, harness.store, harness.client, period=3600)
    async with forwarder.running():
        await until("the forwarder's first pass", _passed(forwarder))
        code = records.submit(_feedback(doc, "Đánh thức"), "T").tracking_code
        forwarder.wake()

        async def delivered() -> str | None:
            found = await asyncio.to_thread(records.tracked, code)
            return found.feedback_id if found else None

        assert await until("the delivery", delivered, 60) == f"{doc}/monitoring/feedback/1"


def _passed(forwarder: FeedbackForwarder) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        return forwarder.passes > 0

    return probe
