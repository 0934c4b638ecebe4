"""Upgrades while cases run for years (issue #21): a new build of the workers, with a changed
workflow, is rolled out while drafting cases and a document's monitoring are in flight.

Two real builds, each ``legisflow worker`` in its own process on one dev server with Worker
Deployment Versioning on (``tests/workflows/versioning.py``): build A is this repository,
build B a copy of its packages where entering a final stage writes one more trail entry,
behind ``workflow.patched``. Then, as docs/deploy.md says:

- B becomes current (``temporal worker deployment set-current-version``): a new case starts
  on B, and a drafting case started on A takes all its next decisions on A (its workflow
  tasks completed by A; B's change absent) and ends there, with its children;
- ``legisflow upgrade`` moves another pinned case, with its consultation requests and comment
  ledger, to B: refused for someone who is not its operator (nothing written), for an unknown
  build, a case that has ended and a monitoring; accepted for the operator, whose decision is
  in the case's trail; from then on B's workers run it, B's change shows, and B replayed A's
  part of its history;
- the document's monitoring, started on A by its pinned case, continues as new onto B at its
  next workflow task (its first run's tasks all on A, the next run's on B);
- nothing is left on A, so A's workers may stop; no workflow task failed anywhere, and each
  build's code replays every history it has to (B's in a process of its own).

Takes about 30 s (the cases' walks on 50 ms legal days, and the two worker processes' starts).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterable
from pathlib import Path

import temporalio.workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from activities.filesystem_store import FilesystemDocumentStore
from client.after_issuance import monitoring_id
from client.cases import running_children, start_case, status
from client.ops import placement, running_on
from localdev.processes import until
from localdev.stand_in import stand_in_signer
from localdev.walkthrough import walk
from models.actors import Directory
from models.definition import ProcessDefinition
from models.registry import Registry
from models.starting import StartRequest
from settings import Settings
from tests.sign_in import session_key
from tests.workflows.after_issuance import DRAFTER, OFFICER, OPERATOR, in_force, monitored
from tests.workflows.cli_harness import Run, as_person, legisflow
from tests.workflows.versioning import (
    B_PATCH,
    B_TRAIL_ACTION,
    ROOT,
    BuildWorker,
    VersionedDevServer,
    builds_around,
    failed_tasks,
    make_build_b,
    patches,
    poke_until_continued,
    set_current,
    task_builds,
)
from worker import WORKFLOWS, deployment_config
from worker_runtime.runner import CaseRunner
from workflows.drafting.legislative_process import LegislativeProcess

DEPLOYMENT = "legisflow"
BUILD_A, BUILD_B = "2026.12.1", "2026.12.2"
#: A legal day of 50 ms: a 30-day consultation lasts 1.5 s.
LEGAL_DAY_SECONDS = 0.05
REASON = "Sửa lỗi thông báo kết thúc hồ sơ (bản dựng 2026.12.2)"


async def test_a_new_build_rolls_out_while_cases_run(
    tmp_path: Path, directory: Directory, registry: Registry
) -> None:
    key = session_key(tmp_path)
    data = tmp_path / "data"
    store = FilesystemDocumentStore(data / "documents")
    task_queue = f"versioning-{uuid.uuid4().hex[:8]}"
    definition = registry.get("qd_ubnd_tinh")
    async with VersionedDevServer(None, log_level="error") as server:
        client = await server.connect(signer=stand_in_signer(key))
        a, b = (
            BuildWorker(folder, DEPLOYMENT, build, server.address, task_queue, data)
            for folder, build in ((ROOT, BUILD_A), (make_build_b(tmp_path / "b"), BUILD_B))
        )
        cli = {
            **os.environ,
            "LEGISFLOW_TEMPORAL_ADDRESS": server.address,
            "LEGISFLOW_TASK_QUEUE": task_queue,
            "LEGISFLOW_DATA_DIR": str(data),
            "LEGISFLOW_SIGNING_KEY_FILE": str(tmp_path / "signing-key.pem"),
            "COLUMNS": "200",
        }
        try:
            # ---- build A serves; two drafting cases in consultation, a document in force ----
            a.start()
            await a.wait_until_polling(client)
            await set_current(client, server.address, DEPLOYMENT, BUILD_A)
            stays = await _start(client, directory, definition, "o-lai-ban-a", task_queue)
            moved = await _start(client, directory, definition, "chuyen-sang-ban-b", task_queue)
            await asyncio.gather(
                *(
                    walk(client, case, definition, store, target="consultation", timeout=180)
                    for case in (stays, moved)
                )
            )
            document = await in_force(
                client, directory, definition, store, slug="dang-hieu-luc",
                task_queue=task_queue, legal_day_seconds=LEGAL_DAY_SECONDS,
            )  # fmt: skip
            monitoring = monitoring_id(document)
            await monitored(client, document)
            first_run = (await placement(client, monitoring), await _run_id(client, monitoring))
            assert first_run[0].build_id == BUILD_A, first_run  # inherited from its case
            children = await _children_of(client, moved)

            # ---- build B rolls out and becomes current ------------------------------------
            b.start()
            await b.wait_until_polling(client)
            await set_current(client, server.address, DEPLOYMENT, BUILD_B)
            b_current_at = len((await client.get_workflow_handle(stays).fetch_history()).events)
            fresh = await _start(client, directory, definition, "moi-tren-ban-b", task_queue)
            await _until_on(client, fresh, BUILD_B)

            # ---- a pinned case stays on A to its end ---------------------------------------
            await walk(client, stays, definition, store, timeout=180)
            await client.get_workflow_handle(stays).result()
            history = await client.get_workflow_handle(stays).fetch_history()
            later = task_builds(history, after=b_current_at)
            assert later, "the case took no decision after B became current"
            assert set(task_builds(history)) == {BUILD_A}, task_builds(history)
            assert B_PATCH not in patches(history)
            assert B_TRAIL_ACTION not in _actions(await _trail(client, stays))
            for child in _child_ids(history):
                child_history = await client.get_workflow_handle(child).fetch_history()
                assert set(task_builds(child_history)) == {BUILD_A}, child

            # ---- `legisflow upgrade`: refusals, then the operator's move -------------------
            before = await status(client, moved)
            refused = await _upgrade(cli, DRAFTER, moved, BUILD_B)
            assert refused.code == 2, refused
            assert "wrong_role" in refused.stderr, refused.stderr
            unknown = await _upgrade(cli, OPERATOR, moved, "2026.13.0")
            assert unknown.code == 1, unknown
            assert "unknown build '2026.13.0'" in unknown.stderr, unknown.stderr
            assert f"{BUILD_A}, {BUILD_B}" in unknown.stderr, unknown.stderr
            ended = await _upgrade(cli, OPERATOR, stays, BUILD_B)
            assert ended.code == 1, ended
            assert "is not running (completed)" in ended.stderr, ended.stderr
            itself = await _upgrade(cli, OPERATOR, monitoring, BUILD_B)
            assert itself.code == 1, itself
            assert "next continue-as-new" in itself.stderr, itself.stderr
            assert (await status(client, moved)).audit_entries == before.audit_entries
            assert (await placement(client, moved)).build_id == BUILD_A

            done = await _upgrade(cli, OPERATOR, moved, BUILD_B)
            assert done.code == 0, done
            assert f"{BUILD_A} → {BUILD_B}" in done.stdout, done.stdout
            for child in children:
                assert child in done.stdout, done.stdout
            for workflow_id in (moved, *children):
                on = await placement(client, workflow_id)
                assert (on.build_id, on.overridden) == (BUILD_B, True), on
            trail = await _trail(client, moved)
            move = next(e for e in trail if e["action"] == "version_moved")
            assert move["actor"] == OPERATOR
            assert REASON in move["note"], move
            assert f"{BUILD_A} → {BUILD_B}" in move["note"], move
            assert all(child in move["note"] for child in children), move

            await walk(client, moved, definition, store, timeout=180)
            await client.get_workflow_handle(moved).result()
            history = await client.get_workflow_handle(moved).fetch_history()
            assert builds_around(history, _options_updated(history)) == ({BUILD_A}, {BUILD_B})
            assert B_PATCH in patches(history)  # B's change, on B's first pass over it
            assert B_TRAIL_ACTION in _actions(await _trail(client, moved))
            for child in children:
                child_history = await client.get_workflow_handle(child).fetch_history()
                before_move, after_move = builds_around(
                    child_history, _options_updated(child_history)
                )
                assert (before_move, after_move <= {BUILD_B}) == ({BUILD_A}, True), child

            # ---- the monitoring continues as new onto B at its next task --------------------
            await poke_until_continued(client, document, monitoring, first_run[1], OFFICER)
            run1 = await client.get_workflow_handle(monitoring, run_id=first_run[1]).fetch_history()
            assert set(task_builds(run1)) == {BUILD_A}, task_builds(run1)
            last = run1.events[-1].event_type
            assert last == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, last
            on = await placement(client, monitoring)
            assert (on.build_id, on.overridden) == (BUILD_B, False), on
            run2 = await client.get_workflow_handle(monitoring).fetch_history()
            assert set(task_builds(run2)) == {BUILD_B}, task_builds(run2)

            # ---- nothing left on A: its workers may stop -------------------------------------
            async def drained() -> bool:
                return not await running_on(client, DEPLOYMENT, BUILD_A)

            await until("build A to drain", drained, timeout=60, poll=0.5)

            # ---- no nondeterminism anywhere ----------------------------------------------------
            ids = [stays, moved, document, fresh, *children]
            histories: dict[str, WorkflowHistory] = {}
            for workflow_id in ids:
                h = await client.get_workflow_handle(workflow_id).fetch_history()
                histories[workflow_id] = h
                for child in _child_ids(h):
                    histories[child] = await client.get_workflow_handle(child).fetch_history()
            histories[f"{monitoring}@1"] = run1
            histories[f"{monitoring}@2"] = run2
            for name, h in histories.items():
                assert not failed_tasks(h), f"{name}: {failed_tasks(h)}"
            # A's code replays what only A ran; B's code replays everything (A's parts too).
            only_a = [h for h in histories.values() if set(task_builds(h)) == {BUILD_A}]
            assert {stays, document, f"{monitoring}@1"} <= {
                n for n, h in histories.items() if h in only_a
            }
            assert await _replay(only_a) == []
            assert _replay_in(b.folder, tmp_path / "histories", histories) == []
        finally:
            b.stop()
            a.stop()


def test_versioning_is_off_unless_a_build_is_named() -> None:
    """Unset: the worker is unversioned, as before; set: a version whose workflows are all
    pinned (worker.py, ``VERSIONING_BEHAVIOR``)."""
    assert deployment_config(Settings()) is None
    config = deployment_config(Settings(deployment_name=DEPLOYMENT, build_id=BUILD_B))
    assert config is not None
    assert config.use_worker_versioning
    assert config.version == WorkerDeploymentVersion(DEPLOYMENT, BUILD_B)
    assert config.default_versioning_behavior == VersioningBehavior.PINNED


def test_no_workflow_declares_a_behaviour_of_its_own() -> None:
    """A behaviour on ``@workflow.defn`` is not inert: the server refuses an unversioned
    worker's task completion that names one, and every case would stop (docs/deploy.md)."""
    declared = {
        w.__name__: d.versioning_behavior
        for w in WORKFLOWS
        for d in [temporalio.workflow._Definition.must_from_class(w)]
        if d.versioning_behavior not in (None, VersioningBehavior.UNSPECIFIED)
    }
    assert declared == {}


async def _start(
    client: Client, directory: Directory, definition: ProcessDefinition, slug: str, queue: str
) -> str:
    handle = await start_case(
        client,
        directory,
        StartRequest(
            definition=definition,
            title=f"Quy định thử nâng cấp ({slug})",
            starter="le.thi.binh",
            slug=slug,
            legal_day_seconds=LEGAL_DAY_SECONDS,
        ),
        task_queue=queue,
    )
    return handle.id


async def _run_id(client: Client, workflow_id: str) -> str:
    return (await client.get_workflow_handle(workflow_id).describe()).run_id


async def _until_on(client: Client, workflow_id: str, build_id: str) -> None:
    async def there() -> bool:
        return (await placement(client, workflow_id)).build_id == build_id

    await until(f"{workflow_id} on {build_id}", there, timeout=60, poll=0.1)


async def _children_of(client: Client, case_id: str) -> list[str]:
    """The case's consultation requests and comment ledger, once visibility lists them all."""
    kinds = {"ConsultationRequest", "CommentLedger"}
    found: list[str] = []

    async def listed() -> bool:
        found[:] = sorted(await running_children(client, case_id))
        return kinds <= {(await placement(client, i)).workflow_type for i in found}

    await until(f"the children of {case_id}", listed, timeout=60, poll=0.2)
    return found


async def _trail(client: Client, case_id: str) -> list[dict[str, str]]:
    entries = await client.get_workflow_handle(case_id).query(LegislativeProcess.audit)
    return [e.model_dump(mode="json") for e in entries]


def _actions(trail: list[dict[str, str]]) -> list[str]:
    return [e["action"] for e in trail]


def _child_ids(history: WorkflowHistory) -> list[str]:
    return [
        e.start_child_workflow_execution_initiated_event_attributes.workflow_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
    ]


def _options_updated(history: WorkflowHistory) -> int:
    """The event id where the workflow's versioning override was set."""
    return next(
        e.event_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED
    )


async def _upgrade(cli: dict[str, str], person: str, case: str, build: str) -> Run:
    return await legisflow(
        as_person(cli, person), "upgrade", case, "--to", build, "--reason", REASON
    )


async def _replay(histories: Iterable[WorkflowHistory]) -> list[str]:
    """Replay failures of ``histories`` against this build's code (build A)."""
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=pydantic_data_converter,
        workflow_runner=CaseRunner(pydantic_data_converter),
    )
    failures = []
    for history in histories:
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        if result.replay_failure is not None:
            failures.append(f"{history.workflow_id}: {result.replay_failure}")
    return failures


#: Replays every history in a folder against the code of the build it runs in.
REPLAY_SCRIPT = """
import asyncio, json, pathlib, sys
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer
import worker
from worker import WORKFLOWS, deployment_config
from worker_runtime.runner import CaseRunner

async def main():
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter,
                        workflow_runner=CaseRunner(pydantic_data_converter))
    failures = []
    for path in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
        history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        if result.replay_failure is not None:
            failures.append(f"{path.name}: {result.replay_failure}")
    print(json.dumps({"code": worker.__file__, "failures": failures}))

asyncio.run(main())
"""


def _replay_in(folder: Path, into: Path, histories: dict[str, WorkflowHistory]) -> list[str]:
    """Replay failures of ``histories`` against the code of the build in ``folder``, in a
    process of its own (the build's packages first on its path)."""
    into.mkdir(parents=True, exist_ok=True)
    for n, history in enumerate(histories.values()):
        (into / f"{n:02d}.json").write_text(history.to_json(), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", REPLAY_SCRIPT, str(into)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(report["code"]).is_relative_to(folder), report["code"]
    failures: list[str] = report["failures"]
    return failures
