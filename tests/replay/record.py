"""Re-record the committed workflow histories the replay tests check.

    .venv/bin/python -m tests.replay.record
    .venv/bin/python -m tests.replay.record after-issuance   # monitoring, feedback, checks
    .venv/bin/python -m tests.replay.record ledger-pages     # a comment ledger writing pages
    .venv/bin/python -m tests.replay.record interests        # declarations and reassignment
    .venv/bin/python -m tests.replay.record returns          # a return with its reason
    .venv/bin/python -m tests.replay.record directions       # issues sent up for direction
    .venv/bin/python -m tests.replay.record monitoring-missing  # a refused signal sent again
    .venv/bin/python -m tests.replay.record signatures       # a signed decision, checked again
    .venv/bin/python -m tests.replay.record public-intake    # the portal's intake opened, closed

Run it only when a change is *meant* to alter workflow commands; such a change must also be
guarded with ``workflow.patched(...)`` so running cases keep replaying (README, "Changing a
workflow"). Each shipped definition gets one history: a whole walk to its first final stage.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.filesystem_store import FilesystemDocumentStore
from client.cases import start_case
from localdev.devserver import find_binary, tuning_flags
from localdev.walkthrough import walk
from models.actors import first_staffed_drafter, load_directory
from models.registry import load_registry
from models.starting import StartRequest
from settings import Settings
from tests.replay.after_issuance import KEY as AFTER_ISSUANCE
from tests.replay.after_issuance import record_after_issuance
from tests.replay.directions import KEY as DIRECTIONS
from tests.replay.directions import record_directions
from tests.replay.interests import KEY as INTERESTS
from tests.replay.interests import record_interests
from tests.replay.ledger_pages import KEY as LEDGER_PAGES
from tests.replay.ledger_pages import record_ledger_pages
from tests.replay.public_intake import KEY as PUBLIC_INTAKE
from tests.replay.public_intake import record_public_intake
from tests.replay.returns import KEY as RETURNS
from tests.replay.returns import record_returns
from tests.replay.signal_retry import KEY as SIGNAL_RETRY
from tests.replay.signal_retry import record_signal_retry
from tests.replay.signatures import KEY as SIGNATURES
from tests.replay.signatures import record_signatures
from tests.sign_in import signing, unsigned
from worker import build_worker
from workflows import search_attributes as sa

HISTORIES = Path(__file__).parent / "histories"
#: Short legal day so a whole life records in seconds.
LEGAL_DAY_SECONDS = 0.05


def _children(history: WorkflowHistory) -> list[tuple[str, str]]:
    """(workflow id, type) of every child workflow the history started."""
    out = []
    for event in history.events:
        if event.HasField("start_child_workflow_execution_initiated_event_attributes"):
            a = event.start_child_workflow_execution_initiated_event_attributes
            out.append((a.workflow_id, a.workflow_type.name))
    return out


def history_file(doc_type: str, regime: str) -> Path:
    return HISTORIES / f"{doc_type}@{regime}.json"


async def record(only: set[str] | None = None) -> list[Path]:
    registry = load_registry()
    directory = load_directory()
    written: list[Path] = []
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(find_binary("temporal")),
        search_attributes=sa.ALL,
        dev_server_extra_args=tuning_flags(persisted=False),
        data_converter=pydantic_data_converter,
        interceptors=signing(),
    ) as env:
        with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(8) as ex:
            settings = Settings(task_queue=f"record-{uuid.uuid4().hex[:6]}", data_dir=Path(tmp))
            store = FilesystemDocumentStore(settings.documents_dir)
            async with build_worker(unsigned(env.client), settings, ex):
                for definition in registry:
                    if only and definition.key not in only:
                        continue
                    starter = first_staffed_drafter(directory, definition)
                    assert starter, f"nobody can draft {definition.key}"
                    handle = await start_case(
                        env.client,
                        directory,
                        StartRequest(
                            definition=definition,
                            title=f"Replay {definition.key}",
                            starter=starter,
                            legal_day_seconds=LEGAL_DAY_SECONDS,
                        ),
                        task_queue=settings.task_queue,
                    )
                    await walk(env.client, handle.id, definition, store, timeout=60)
                    await handle.result()
                    history = await handle.fetch_history()
                    path = history_file(definition.doc_type, definition.regime)
                    path.write_text(history.to_json() + "\n", encoding="utf-8")
                    written.append(path)
                    print(f"recorded {path.relative_to(Path.cwd())}: {len(history.events)} events")
                    # One history of each child workflow type the case started.
                    for child_id, child_type in _children(history):
                        child = env.client.get_workflow_handle(child_id)
                        child_history = await child.fetch_history()
                        child_path = HISTORIES / f"{child_type}@{definition.key}.json"
                        if child_path in written:
                            continue  # one per type and definition
                        child_path.write_text(child_history.to_json() + "\n", encoding="utf-8")
                        written.append(child_path)
                        print(f"recorded {child_path.name}: {len(child_history.events)} events")
                # Feedback cases and checks are not children of a case: their own scenario.
                if not only or AFTER_ISSUANCE in only:
                    written += await record_after_issuance(
                        env.client,
                        directory,
                        registry,
                        store,
                        task_queue=settings.task_queue,
                        histories=HISTORIES,
                    )
                if not only or INTERESTS in only:
                    written += await record_interests(
                        env.client, directory, registry, store, task_queue=settings.task_queue,
                        histories=HISTORIES, legal_day_seconds=LEGAL_DAY_SECONDS,
                    )  # fmt: skip
                if not only or RETURNS in only:
                    written += await record_returns(
                        env.client, directory, registry, store, task_queue=settings.task_queue,
                        histories=HISTORIES, legal_day_seconds=LEGAL_DAY_SECONDS,
                    )  # fmt: skip
                if not only or DIRECTIONS in only:
                    written += await record_directions(
                        env.client, directory, registry, store, task_queue=settings.task_queue,
                        histories=HISTORIES, legal_day_seconds=LEGAL_DAY_SECONDS,
                    )  # fmt: skip
                if not only or SIGNAL_RETRY in only:
                    written += await record_signal_retry(
                        env.client, directory, registry, store, task_queue=settings.task_queue,
                        histories=HISTORIES,
                    )  # fmt: skip
                if not only or SIGNATURES in only:
                    written += await record_signatures(
                        env.client, directory, registry, store, task_queue=settings.task_queue,
                        histories=HISTORIES, legal_day_seconds=LEGAL_DAY_SECONDS,
                    )  # fmt: skip
                if not only or PUBLIC_INTAKE in only:
                    written += await record_public_intake(
                        env.client, directory, registry, store, task_queue=settings.task_queue,
                        histories=HISTORIES, legal_day_seconds=LEGAL_DAY_SECONDS,
                        database=settings.database,
                    )  # fmt: skip
                if not only or LEDGER_PAGES in only:
                    written += await record_ledger_pages(
                        env.client, store, task_queue=settings.task_queue, histories=HISTORIES
                    )
    return written


def main() -> None:
    HISTORIES.mkdir(parents=True, exist_ok=True)
    asyncio.run(record(set(sys.argv[1:]) or None))
    sys.stdout.flush()
    os._exit(0)  # sdk-python#300


if __name__ == "__main__":
    main()
