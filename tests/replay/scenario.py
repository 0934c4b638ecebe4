"""What every recorded scenario does around its own steps: start a provincial decision
(``qd_ubnd_tinh``) for it, and write the histories of the workflows it ran to the committed
files the replay test reads."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle

from client.cases import start_case
from models.actors import Directory
from models.definition import ProcessDefinition
from models.registry import Registry
from models.starting import StartRequest


async def start_scenario(
    client: Client,
    directory: Directory,
    registry: Registry,
    *,
    title: str,
    starter: str,
    task_queue: str,
    legal_day_seconds: float,
    **request: Any,
) -> tuple[ProcessDefinition, WorkflowHandle[Any, Any]]:
    """The scenario's case started, and the procedure it runs under."""
    definition = registry.get("qd_ubnd_tinh")
    handle = await start_case(
        client,
        directory,
        StartRequest(
            definition=definition, title=title, starter=starter,
            legal_day_seconds=legal_day_seconds, **request,
        ),
        task_queue=task_queue,
    )  # fmt: skip
    return definition, handle


async def write_histories(
    client: Client, histories: Path, runs: Sequence[tuple[str, str]]
) -> list[Path]:
    """Each ``(workflow id, file name)``'s history, written under ``histories``."""
    written = []
    for workflow_id, name in runs:
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        path = histories / name
        path.write_text(history.to_json() + "\n", encoding="utf-8")
        print(f"recorded {path.name}: {len(history.events)} events")
        written.append(path)
    return written
