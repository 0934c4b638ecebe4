"""The signed-decision scenario the replay test keeps a history of
(``LegislativeProcess@signatures.json``): a provincial decision under the simplified
procedure, pinning a demo CA's root, whose Chairman signs a real PAdES signature; the case
accepts it and checks the stored file again after acceptance (``SIGNATURE_CHECK_PATCH``),
then walks to its end. Recorded by ``python -m tests.replay.record signatures``."""

from __future__ import annotations

import tempfile
from pathlib import Path

from temporalio.client import Client

from activities.ports import DocumentStore
from client.cases import start_case
from localdev.walkthrough import walk
from models.actors import Directory
from models.case import SimplifiedDecision
from models.registry import Registry
from models.starting import StartRequest
from signatures.certificates import pem
from signatures.demo_signers import DemoSigners

KEY = "signatures"
HISTORY = f"LegislativeProcess@{KEY}.json"


async def record_signatures(
    client: Client,
    directory: Directory,
    registry: Registry,
    store: DocumentStore,
    *,
    task_queue: str,
    histories: Path,
    legal_day_seconds: float,
) -> list[Path]:
    definition = registry.get("qd_ubnd_tinh")
    with tempfile.TemporaryDirectory() as ca_dir:
        signers = DemoSigners.under(Path(ca_dir), directory)
        handle = await start_case(
            client,
            directory,
            StartRequest(
                definition=definition,
                title="Replay: ký số quyết định",
                starter="nguyen.van.an",
                legal_day_seconds=legal_day_seconds,
                simplified=SimplifiedDecision(decided_by="bui.van.khoa", reason="Replay ký số"),
                signature_roots=(pem(signers.ca.root).decode(),),
            ),
            task_queue=task_queue,
        )
        await walk(client, handle.id, definition, store, timeout=60, signing=signers)
    await handle.result()
    history = await handle.fetch_history()
    path = histories / HISTORY
    path.write_text(history.to_json() + "\n", encoding="utf-8")
    print(f"recorded {path.name}: {len(history.events)} events")
    return [path]
