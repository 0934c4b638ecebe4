"""The return-with-a-reason scenario the replay test keeps a history of
(``LegislativeProcess@returns.json``): the drafting head sends the dossier back to the drafter
with a note saying why (required since ``NOTE_REQUIRED_PATCH``; the drafter's new assignment
carries it), and the case then walks to its end, showing who it awaits at each stage
(``AWAITING_ROLES_PATCH``). Recorded by
``python -m tests.replay.record returns``."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import Client

from activities.ports import DocumentStore
from client.cases import act
from localdev.walkthrough import walk
from models.actors import Directory
from models.case import ActionRequest
from models.registry import Registry
from tests.replay.scenario import start_scenario, write_histories

KEY = "returns"
HISTORY = f"LegislativeProcess@{KEY}.json"
NOTE = "Bổ sung đánh giá tác động đối với hộ kinh doanh"


async def record_returns(
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
        title="Replay: trả lại hồ sơ kèm lý do",
        starter="le.thi.binh",
        task_queue=task_queue,
        legal_day_seconds=legal_day_seconds,
    )
    await walk(client, handle.id, definition, store, target="dossier_review", timeout=60)
    await act(
        client,
        handle.id,
        ActionRequest(
            action="return_for_revision",
            actor="tran.van.cuong",
            note=NOTE,
            declare_no_interest=True,
        ),
    )
    await walk(client, handle.id, definition, store, timeout=60)
    await handle.result()
    return await write_histories(client, histories, [(handle.id, HISTORY)])
