"""The contested-issue scenario the replay test keeps a history of
(``LegislativeProcess@directions.json``): the drafting unit sends two issues up for direction
(``DIRECTIONS_PATCH``); the Chủ tịch directs one at once and lets the other's deadline pass
(its request escalates and reports it overdue), directs it late, and the case then walks to
its end past the submission that waited for both. Recorded by
``python -m tests.replay.record directions``."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import Client

from activities.ports import DocumentStore
from client.cases import give_direction, raise_issue
from localdev.walkthrough import wait_for_status, walk
from models.actors import Directory
from models.contested_issues import DirectionRequest, RaiseIssueRequest
from models.registry import Registry
from tests.replay.scenario import start_scenario, write_histories

KEY = "directions"
HISTORY = f"LegislativeProcess@{KEY}.json"
OPTIONS = ["Phương án 1: giữ nguyên", "Phương án 2: sửa đổi"]


async def record_directions(
    client: Client,
    directory: Directory,
    registry: Registry,
    store: DocumentStore,
    *,
    task_queue: str,
    histories: Path,
    legal_day_seconds: float,
) -> list[Path]:
    definition, handle = await start_scenario(
        client,
        directory,
        registry,
        title="Replay: xin ý kiến chỉ đạo",
        starter="le.thi.binh",
        task_queue=task_queue,
        legal_day_seconds=legal_day_seconds,
    )
    for question in ("Phạm vi điều chỉnh", "Mức phí"):
        await raise_issue(
            client,
            handle.id,
            RaiseIssueRequest(actor="le.thi.binh", question=question, options=OPTIONS),
        )
    await give_direction(
        client,
        handle.id,
        DirectionRequest(
            actor="bui.van.khoa", issue=1, option=1, direction="Giữ nguyên phạm vi",
            declare_no_interest=True,
        ),
    )  # fmt: skip
    await wait_for_status(client, handle.id, lambda s: s.issues[1].overdue, timeout=60)
    await walk(client, handle.id, definition, store, target="submission_review", timeout=60)
    await give_direction(
        client,
        handle.id,
        DirectionRequest(actor="bui.van.khoa", issue=2, option=2, direction="Sửa đổi mức phí"),
    )
    await walk(client, handle.id, definition, store, timeout=60)
    await handle.result()
    return await write_histories(client, histories, [(handle.id, HISTORY)])
