"""The inbox lists the cases in which a person can act now, and only those; Temporal's
visibility narrows them first by who the case awaits (``AwaitingRoles``: roles and agencies,
never people), kept current as the case moves and its holders change."""

from __future__ import annotations

from temporalio.client import Client

from client.cases import act, start_case
from client.inbox import OlderCases, Seeker, inbox, overview
from client.status_cache import StatusCache
from localdev.walkthrough import wait_for_status
from models.actors import Directory
from models.case import ActionRequest
from models.registry import Registry
from models.starting import StartRequest
from tests.conftest import Harness
from workflows import search_attributes as sa

WAIT = 120.0


async def awaiting(client: Client, case_id: str) -> list[str]:
    desc = await client.get_workflow_handle(case_id).describe()
    return list(desc.typed_search_attributes.get(sa.AWAITING_ROLES) or [])


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
    # A case answers queries once its worker has run its first task: wait for that.
    await wait_for_status(harness.client, handle.id, lambda s: s.pending_effects == 0, timeout=WAIT)
    tq = harness.settings.task_queue
    binh = Seeker.of(directory, "le.thi.binh")
    mine = [i for i in await inbox(harness.client, binh, tq) if i.case_id == handle.id]
    assert [i.title for i in mine] == ["Quy định về hộp việc"]
    assert "open_consultation" in [a.action for a in mine[0].actions]
    # The Chủ tịch signs later: nothing of this case is theirs to do now.
    chair = Seeker.of(directory, "bui.van.khoa")
    assert handle.id not in [i.case_id for i in await inbox(harness.client, chair, tq)]

    # What visibility holds: roles at agencies, no person; it follows the case.
    at_start = await awaiting(harness.client, handle.id)
    assert at_start == ["drafter@so-xd-daklak", "drafting_head@so-xd-daklak"]
    assert not any(p.id in " ".join(at_start) for p in directory.people)
    draft = harness.store.put_blob("Dự thảo".encode(), "du-thao.md", "text/markdown")
    await act(
        harness.client,
        handle.id,
        ActionRequest(
            action="open_consultation", actor="le.thi.binh", document=draft,
            declare_no_interest=True,
        ),
    )  # fmt: skip
    await wait_for_status(harness.client, handle.id, lambda s: s.pending_effects == 0, timeout=WAIT)
    in_consultation = await awaiting(harness.client, handle.id)
    assert any(v.startswith("affected_group@") for v in in_consultation)
    front = next(v for v in in_consultation if v.startswith("front_committee@"))
    person = next(
        p.id for p in directory.people if "front_committee" in p.roles
        and f"front_committee@{p.agency}" == front
    )  # fmt: skip
    asked = await inbox(harness.client, Seeker.of(directory, person), tq)
    assert handle.id in [i.case_id for i in asked]


async def test_a_workspace_asks_a_case_again_only_once_it_changed(
    harness: Harness, registry: Registry, directory: Directory
) -> None:
    """The workspace's status cache: an unchanged case costs a describe, a changed one a
    query whose answer shows the change; the inbox leaves out the costly filter for cases
    without AwaitingRoles once none run."""
    handle = await start_case(
        harness.client,
        directory,
        StartRequest(
            definition=registry.get("qd_ubnd_tinh"),
            title="Quy định về bộ nhớ đệm",
            starter="nguyen.van.an",
            slug="status-cache",
        ),
        task_queue=harness.settings.task_queue,
    )
    await wait_for_status(harness.client, handle.id, lambda s: s.pending_effects == 0, timeout=WAIT)
    cache = StatusCache()
    first = await cache.status(harness.client, handle.id)
    again = await cache.status(harness.client, handle.id)
    assert (cache.queries, cache.hits) == (1, 1)
    assert again.stage == first.stage == "drafting"
    draft = harness.store.put_blob("Dự thảo".encode(), "du-thao.md", "text/markdown")
    await act(
        harness.client,
        handle.id,
        ActionRequest(
            action="open_consultation", actor="nguyen.van.an", document=draft,
            declare_no_interest=True,
        ),
    )  # fmt: skip
    moved = await cache.status(harness.client, handle.id)
    assert moved.stage == "consultation"
    assert cache.queries == 2
    older = OlderCases()
    seen = await overview(
        harness.client, Seeker.of(directory, "nguyen.van.an"), harness.settings.task_queue,
        statuses=cache, older=older,
    )  # fmt: skip
    assert handle.id in [i.case_id for i in seen.mine + seen.waiting]
