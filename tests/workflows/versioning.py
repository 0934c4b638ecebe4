"""Machinery for the proofs of upgrades while cases run (tests/workflows/test_versioning.py,
and the histories of tests/replay/version_moves.py): a dev server with Worker Deployment
Versioning on, a second build of the product (a copy of its packages with one workflow
changed behind ``workflow.patched``), ``legisflow worker`` processes of each build, making a
build current as an operator does (the ``temporal`` CLI), and what a history says about the
builds that ran it.

Every wait here is on a condition with a bound; nothing sleeps hoping.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from temporalio.api.deployment.v1 import WorkerDeploymentVersion
from temporalio.api.enums.v1 import EventType, TaskQueueType, WorkflowTaskFailedCause
from temporalio.api.workflowservice.v1 import (
    DescribeWorkerDeploymentRequest,
    DescribeWorkerDeploymentVersionRequest,
)
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from client.after_issuance import record_event
from localdev.devserver import DevServer, find_binary
from localdev.processes import terminate, until
from models.choices import EventKind
from models.definition import SYSTEM_ACTOR
from models.monitoring import EventRequest

#: The repository (build A is the code as it is here).
ROOT = Path(__file__).resolve().parents[2]

#: What turns Worker Deployment Versioning on in Temporal Server 1.32 (the dev server of
#: temporal CLI 1.9.1 has both on already; a cluster sets them in its dynamic config).
VERSIONING_FLAGS = (
    "system.enableDeploymentVersions=true",
    "frontend.workerVersioningWorkflowAPIs=true",
)

#: Build B's change: entering a final stage writes one more trail entry, behind a patch (a
#: marker command), so a case moved to B shows B's code ran it and that B replayed A's part.
B_PATCH = "build-b-closing-note"
B_TRAIL_ACTION = "build_b_closing"
#: Where build B's change goes (workflows/drafting/stage_entry.py, ``_enter_stage``): first
#: in the branch a final stage takes.
B_ANCHOR = (
    "        if self._machine.is_final(self._stage):\n",
    "            if self._def.stages[self._stage].monitor:\n",
)


class VersionedDevServer(DevServer):
    """The product's dev server, with Worker Deployment Versioning turned on explicitly."""

    def command(self) -> list[str]:
        flags = [arg for value in VERSIONING_FLAGS for arg in ("--dynamic-config-value", value)]
        return [*super().command(), *flags]


def product_files() -> tuple[list[str], list[str]]:
    """(modules, packages) of the product, as pyproject.toml packages them."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    tool = meta["tool"]["setuptools"]
    packages = sorted({p.split(".")[0].rstrip("*") for p in tool["packages"]["find"]["include"]})
    return list(tool["py-modules"]), packages


def make_build_b(folder: Path) -> Path:
    """A copy of the product's packages in ``folder`` with build B's change; FAILS if the
    place of the change is gone (the proof would then prove nothing)."""
    folder.mkdir(parents=True, exist_ok=True)
    modules, packages = product_files()
    for module in modules:
        shutil.copy2(ROOT / f"{module}.py", folder / f"{module}.py")
    for package in packages:
        shutil.copytree(
            ROOT / package, folder / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    path = folder / "workflows" / "drafting" / "stage_entry.py"
    text = path.read_text(encoding="utf-8")
    anchor = "".join(B_ANCHOR)
    assert text.count(anchor) == 1, f"build B's change has no place in {path}"
    change = (
        f"            if workflow.patched({B_PATCH!r}):\n"
        f"                self._append_audit({SYSTEM_ACTOR!r}, {SYSTEM_ACTOR!r}, "
        f"{B_TRAIL_ACTION!r}, self._stage, self._stage, note='build B')\n"
    )
    path.write_text(text.replace(anchor, B_ANCHOR[0] + change + B_ANCHOR[1]), encoding="utf-8")
    return folder


@dataclass
class BuildWorker:
    """``legisflow worker`` of the build in ``folder`` (its own packages first on the path),
    as version ``build_id`` of ``deployment``."""

    folder: Path
    deployment: str
    build_id: str
    address: str
    task_queue: str
    data_dir: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.data_dir / f"worker-{self.build_id}.log"

    def start(self) -> None:
        env = {
            **os.environ,
            "LEGISFLOW_TEMPORAL_ADDRESS": self.address,
            "LEGISFLOW_TASK_QUEUE": self.task_queue,
            "LEGISFLOW_DATA_DIR": str(self.data_dir),
            "LEGISFLOW_DEPLOYMENT_NAME": self.deployment,
            "LEGISFLOW_BUILD_ID": self.build_id,
            "LEGISFLOW_LOG_FORMAT": "json",
            "LEGISFLOW_LOG_LEVEL": "WARNING",
        }
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            # ``-c`` puts the working directory first on sys.path: this build's packages,
            # not the installed (editable) ones.
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "from cli.app import main; main()", "worker"],
                cwd=self.folder,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            log = self.log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise AssertionError(f"worker {self.build_id} exited ({self.proc.returncode}): {log}")

    async def wait_until_polling(self, client: Client) -> None:
        await wait_until_polling(
            client, self.deployment, self.build_id, self.task_queue, alive=self.alive
        )

    def stop(self) -> None:
        if self.proc is not None:
            terminate(self.proc, 30)


def version(deployment: str, build_id: str) -> WorkerDeploymentVersion:
    return WorkerDeploymentVersion(deployment_name=deployment, build_id=build_id)


async def wait_until_polling(
    client: Client,
    deployment: str,
    build_id: str,
    task_queue: str,
    *,
    alive: Callable[[], None] = lambda: None,
    timeout: float = 60,
) -> None:
    """Until the server knows version ``build_id`` of ``deployment`` on ``task_queue``, for
    workflow and activity tasks (what setting it current requires); ``alive`` raises if the
    worker has died meanwhile."""
    wanted = {TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY}

    async def polled() -> bool:
        alive()
        try:
            desc = await client.workflow_service.describe_worker_deployment_version(
                DescribeWorkerDeploymentVersionRequest(
                    namespace=client.namespace, deployment_version=version(deployment, build_id)
                )
            )
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        types = {q.type for q in desc.version_task_queues if q.name == task_queue}
        return wanted <= types

    await until(f"build {build_id} polling", polled, timeout=timeout, poll=0.2)


async def set_current(client: Client, address: str, deployment: str, build_id: str) -> None:
    """Make ``build_id`` the deployment's current version as docs/deploy.md says (the
    ``temporal`` CLI), and wait until the server says so."""
    proc = await asyncio.create_subprocess_exec(
        str(find_binary()),
        "worker", "deployment", "set-current-version",
        "--deployment-name", deployment, "--build-id", build_id, "--yes",
        "--address", address, "--namespace", client.namespace,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, f"set-current-version: {out.decode()} {err.decode()}"

    async def current() -> bool:
        desc = await client.workflow_service.describe_worker_deployment(
            DescribeWorkerDeploymentRequest(namespace=client.namespace, deployment_name=deployment)
        )
        routing = desc.worker_deployment_info.routing_config
        return routing.current_deployment_version.build_id == build_id

    await until(f"{build_id} current", current, timeout=30, poll=0.1)


def task_builds(history: WorkflowHistory, after: int = 0) -> list[str]:
    """Which build completed each workflow task ('' unversioned), of those after event
    ``after``."""
    return [
        e.workflow_task_completed_event_attributes.deployment_version.build_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED and e.event_id > after
    ]


def builds_around(history: WorkflowHistory, event_id: int) -> tuple[set[str], set[str]]:
    """The builds that completed workflow tasks before event ``event_id``, and after it."""
    after = task_builds(history, after=event_id)
    every = task_builds(history)
    return set(every[: len(every) - len(after)]), set(after)


def failed_tasks(history: WorkflowHistory) -> list[str]:
    """Why each workflow task the code failed failed (a nondeterminism error among them). A
    task the server itself closed, because the workflow was being closed meanwhile (a
    child terminated with its case: FORCE_CLOSE_COMMAND), is not the code's failure."""
    return [
        f"{WorkflowTaskFailedCause.Name(a.cause)}: {a.failure.message}"
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
        for a in [e.workflow_task_failed_event_attributes]
        if a.cause != WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND
    ]


def patches(history: WorkflowHistory) -> list[str]:
    """The ``workflow.patched`` ids the history recorded."""
    return [
        json.loads(p.data)["id"]
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        for p in e.marker_recorded_event_attributes.details["patch-data"].payloads
    ]


async def poke_until_continued(
    client: Client, document: str, monitoring: str, first_run: str, officer: str
) -> None:
    """Have ``officer`` record events on the document's monitoring (each a workflow task)
    until it has continued as new: the first task that hears of another current build ends
    the run (the server may take a moment to tell a running workflow of it)."""

    async def continued() -> bool:
        desc = await client.get_workflow_handle(monitoring).describe()
        if desc.run_id != first_run:
            return True
        await record_event(
            client,
            document,
            EventRequest(actor=officer, kind=EventKind.INFORMATION, note="Thu thập thông tin"),
        )
        return False

    await until("the monitoring to continue as new", continued, timeout=90, poll=0.5)
