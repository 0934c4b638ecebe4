"""The case opens the public portal's intake with its comment ledger and closes it when the
consultation ends; the counts it records at the close are exact, and nothing lands after."""

from __future__ import annotations

import asyncio

import pytest

from client.cases import start_case
from localdev.walkthrough import wait_for_status, walk
from models.actors import Directory
from models.case import CaseStatus
from models.definition import Transition
from models.public_consultation import CommentSubmission, SpeaksFor
from models.registry import Registry
from models.starting import StartRequest
from public_records.comments import IntakeClosed, PublicComments
from tests.conftest import Harness
from tests.workflows.after_issuance import until

DAY = 0.05  # seconds per legal day: the walk waits out the 30-day posting (1.5 s)


async def test_the_portal_takes_comments_while_the_case_consults(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    definition = registry.get("qd_ubnd_tinh")
    handle = await start_case(
        harness.client,
        directory,
        StartRequest(
            definition=definition,
            title="Quy định về bến xe khách",
            starter="nguyen.van.an",
            slug="ben-xe-cong",
            legal_day_seconds=DAY,
            affected_groups=("Doanh nghiệp vận tải", "Hành khách"),
            plain_summary="Quy định mới về giờ mở cửa bến xe.",
        ),
        task_queue=harness.settings.task_queue,
    )
    records = PublicComments.at(harness.settings.database)
    sent: list[str] = []

    async def comment_while_open(t: Transition, st: CaseStatus) -> None:
        if not definition.stages[st.stage].comments or sent:
            return
        found = await until(
            "the portal's intake to open",
            lambda: asyncio.to_thread(records.consultation, handle.id),
        )
        opening, open_now = found
        assert open_now
        assert opening.title == "Quy định về bến xe khách"
        assert opening.affected_groups == ["Doanh nghiệp vận tải", "Hành khách"]
        assert opening.summary == "Quy định mới về giờ mở cửa bến xe."
        assert opening.closes_on is not None
        for i, group in enumerate([SpeaksFor.BUSINESS, SpeaksFor.BUSINESS, SpeaksFor.CITIZEN]):
            sub = CommentSubmission(
                case_id=handle.id, name="Trần Thị Bình", contact=f"b{i}@example.vn",
                text=f"Ý kiến {i}", speaks_for=group,
            )  # fmt: skip
            sent.append(records.submit(sub).tracking_code)

    await walk(
        harness.client, handle.id, definition, harness.store, on_step=comment_while_open,
        records=records,
    )  # fmt: skip
    assert len(sent) == 3
    st = await wait_for_status(
        harness.client, handle.id, lambda s: s.public_comments is not None, timeout=60
    )
    assert st.public_comments is not None
    assert st.public_comments.received == 3
    assert st.public_comments.by_group == {"business": 2, "citizen": 1}
    with pytest.raises(IntakeClosed, match="hết thời gian"):
        records.submit(
            CommentSubmission(
                case_id=handle.id, name="Muộn", contact="late@example.vn", text="Muộn quá"
            )
        )
    # No name or contact reached the case's history.
    history = (await handle.fetch_history()).to_json()
    assert "Trần Thị Bình" not in history
    assert "b0@example.vn" not in history
