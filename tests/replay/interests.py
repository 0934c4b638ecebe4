"""The conflicts-of-interest scenario the replay test keeps a history of
(``LegislativeProcess@interests.json``): a drafter and the committee office declare an
interest (the office's task passes to her superior), the superior reassigns her tasks to the
vice chair, and the case walks to its end with each person declaring no interest on their
first decision. Recorded by ``python -m tests.replay.record interests``."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import Client

from activities.ports import DocumentStore
from client.cases import declare_interest, reassign
from localdev.walkthrough import walk
from models.actors import Directory
from models.registry import Registry
from tests.replay.scenario import start_scenario, write_histories

KEY = "interests"
HISTORY = f"LegislativeProcess@{KEY}.json"


async def record_interests(
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
        title="Replay: khai báo xung đột lợi ích",
        starter="le.thi.binh",
        task_queue=task_queue,
        legal_day_seconds=legal_day_seconds,
    )
    await declare_interest(client, handle.id, actor="nguyen.van.an", interest="Cổ đông nhà thầu")
    await declare_interest(client, handle.id, actor="vu.thi.giang", interest="Người nhà nhà thầu")
    await reassign(
        client, directory, handle.id, actor="do.van.hai", person="vu.thi.giang",
        to="phan.van.duc", reason="Không tham gia hồ sơ",
    )  # fmt: skip
    await walk(client, handle.id, definition, store, timeout=60)
    await handle.result()
    return await write_histories(client, histories, [(handle.id, HISTORY)])
