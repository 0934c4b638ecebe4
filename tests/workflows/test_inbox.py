"""The inbox lists the cases in which a person can act now, and only those."""

from __future__ import annotations

from client.cases import start_case
from client.inbox import inbox
from models.actors import Directory
from models.registry import Registry
from models.starting import StartRequest
from tests.conftest import Harness


async def test_the_inbox_holds_what_the_person_can_do_now(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    handle = await start_case(
        harness.client,
        directory,
        StartRequest(
            definition=registry.get("qd_ubnd_tinh"),
            title="Quy định về hộp việc",
            starter="nguyen.van.an",
            slug="inbox",
        ),
        task_queue=harness.settings.task_queue,
    )
    mine = [
        i
        for i in await inbox(harness.client, "le.thi.binh", harness.settings.task_queue)
        if i.case_id == handle.id
    ]
    assert [i.title for i in mine] == ["Quy định về hộp việc"]
    assert "open_consultation" in [a.action for a in mine[0].actions]
    # The Chủ tịch signs later: nothing of this case is theirs to do now.
    assert handle.id not in [
        i.case_id for i in await inbox(harness.client, "bui.van.khoa", harness.settings.task_queue)
    ]
