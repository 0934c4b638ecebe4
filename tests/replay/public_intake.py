"""The scenario the replay test keeps histories of for ``PUBLIC_INTAKE_PATCH`` and
``PUBLIC_ANSWERS_PATCH``: a provincial decision whose consultation opens the portal's
intake, takes a public comment there and closes it with the counts
(``LegislativeProcess@public-intake.json``); its comment ledger clusters and counts the
public's comments and takes the drafting unit's answer to the cluster
(``CommentLedger@public-intake.json``). Recorded by ``python -m tests.replay.record
public-intake``."""

from __future__ import annotations

import asyncio
from pathlib import Path

from temporalio.client import Client

from activities.ports import DocumentStore
from client.comments import ledger_id
from localdev.walkthrough import walk
from models.actors import Directory
from models.case import CaseStatus
from models.definition import Transition
from models.public_consultation import CommentSubmission
from models.registry import Registry
from public_records.comments import PublicComments
from tests.replay.scenario import start_scenario, write_histories
from tests.workflows.after_issuance import until

KEY = "public-intake"
HISTORY = f"LegislativeProcess@{KEY}.json"
LEDGER_HISTORY = f"CommentLedger@{KEY}.json"


async def record_public_intake(
    client: Client,
    directory: Directory,
    registry: Registry,
    store: DocumentStore,
    *,
    task_queue: str,
    histories: Path,
    legal_day_seconds: float,
    database: str,
) -> list[Path]:
    definition, handle = await start_scenario(
        client,
        directory,
        registry,
        title="Replay: góp ý qua cổng",
        starter="nguyen.van.an",
        task_queue=task_queue,
        legal_day_seconds=legal_day_seconds,
        affected_groups=("Người dân",),
    )
    records = PublicComments.at(database)

    async def comment(t: Transition, st: CaseStatus) -> None:
        if not definition.stages[st.stage].comments:
            return
        await until(
            "the intake to open", lambda: asyncio.to_thread(records.consultation, handle.id)
        )
        sub = CommentSubmission(
            case_id=handle.id, name="Người góp ý", contact="gop.y@example.vn", text="Ý kiến"
        )
        await asyncio.to_thread(records.submit, sub)

    await walk(client, handle.id, definition, store, timeout=60, on_step=comment, records=records)
    await handle.result()
    return await write_histories(
        client, histories, [(handle.id, HISTORY), (ledger_id(handle.id), LEDGER_HISTORY)]
    )
