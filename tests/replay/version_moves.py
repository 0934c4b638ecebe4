"""The histories the replay test keeps of upgrades while cases run (docs/deploy.md,
"Releasing new code"), recorded on versioned workers of two builds of today's code:

- ``LegislativeProcess@version-move.json``: a case pinned to build a, moved to build b by its
  operator (the ``record_version_move`` Update, then a pinned versioning override), then
  walked to its end on b;
- ``DocumentMonitoring@upgrade-on-continue.json``: a monitoring's run on build a that
  continued as new once build b became current.

Record with ``python -m tests.replay.version_moves`` (its own dev server, with versioning on;
the other histories: ``python -m tests.replay.record``). Run it only when a change is meant
to alter these workflows' commands, and guard that change with ``workflow.patched``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from activities.filesystem_store import FilesystemDocumentStore
from client.after_issuance import monitoring_id
from client.cases import start_case
from client.ops import upgrade
from localdev.stand_in import stand_in_signer
from localdev.walkthrough import walk
from models.actors import load_directory
from models.registry import load_registry
from models.starting import StartRequest
from settings import Settings
from tests.workflows.after_issuance import OFFICER, OPERATOR, in_force, monitored
from tests.workflows.versioning import (
    VersionedDevServer,
    poke_until_continued,
    set_current,
    wait_until_polling,
)
from worker import build_worker

HISTORIES = Path(__file__).parent / "histories"
CASE_HISTORY = "LegislativeProcess@version-move.json"
MONITORING_HISTORY = "DocumentMonitoring@upgrade-on-continue.json"
DEPLOYMENT = "legisflow"
BUILD_A, BUILD_B = "a", "b"
LEGAL_DAY_SECONDS = 0.05
REASON = "Ghi lại lịch sử chuyển bản dựng (replay)"


async def record_version_moves(histories: Path) -> list[Path]:
    registry = load_registry()
    directory = load_directory()
    definition = registry.get("qd_ubnd_tinh")
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(8) as ex:
        async with VersionedDevServer(None, log_level="error") as server:
            client = await server.connect(signer=stand_in_signer())
            plain = await server.connect()
            queue = f"record-{uuid.uuid4().hex[:6]}"
            a, b = (
                Settings(
                    task_queue=queue,
                    data_dir=Path(tmp),
                    deployment_name=DEPLOYMENT,
                    build_id=build,
                )
                for build in (BUILD_A, BUILD_B)
            )
            store = FilesystemDocumentStore(a.documents_dir)
            async with build_worker(plain, a, ex):
                await wait_until_polling(client, DEPLOYMENT, BUILD_A, queue)
                await set_current(client, server.address, DEPLOYMENT, BUILD_A)
                handle = await start_case(
                    client,
                    directory,
                    StartRequest(
                        definition=definition,
                        title="Replay: chuyển sang bản dựng mới",
                        starter="le.thi.binh",
                        legal_day_seconds=LEGAL_DAY_SECONDS,
                    ),
                    task_queue=queue,
                )
                await walk(client, handle.id, definition, store, target="consultation")
                document = await in_force(
                    client, directory, definition, store, slug="replay-upgrade-on-continue",
                    task_queue=queue, legal_day_seconds=LEGAL_DAY_SECONDS,
                )  # fmt: skip
                monitoring = monitoring_id(document)
                await monitored(client, document)
                first_run = (await client.get_workflow_handle(monitoring).describe()).run_id
                async with build_worker(plain, b, ex):
                    await wait_until_polling(client, DEPLOYMENT, BUILD_B, queue)
                    await set_current(client, server.address, DEPLOYMENT, BUILD_B)
                    await upgrade(
                        client, handle.id, build_id=BUILD_B, operator=OPERATOR, reason=REASON
                    )
                    await walk(client, handle.id, definition, store)
                    await handle.result()
                    await poke_until_continued(client, document, monitoring, first_run, OFFICER)
                    case = await handle.fetch_history()
                    run = await client.get_workflow_handle(
                        monitoring, run_id=first_run
                    ).fetch_history()
    written = []
    for name, history in ((CASE_HISTORY, case), (MONITORING_HISTORY, run)):
        path = histories / name
        path.write_text(history.to_json() + "\n", encoding="utf-8")
        written.append(path)
        print(f"recorded {path.name}: {len(history.events)} events")
    return written


def main() -> None:
    HISTORIES.mkdir(parents=True, exist_ok=True)
    asyncio.run(record_version_moves(HISTORIES))
    sys.stdout.flush()
    os._exit(0)  # sdk-python#300


if __name__ == "__main__":
    main()
