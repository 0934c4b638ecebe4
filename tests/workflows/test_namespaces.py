"""One namespace per deployment unit (a province, a ministry) on one Temporal (issue #21):
`legisflow setup` with LEGISFLOW_NAMESPACE registers the namespace and legisflow's search
attributes on it; a worker of that namespace runs its cases; the CLI, the client API and
visibility each see their own namespace's cases and nothing of the other's."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from client.cases import start_case, status
from client.listing import list_cases, list_query
from models.actors import Directory
from models.registry import Registry
from models.starting import StartRequest
from settings import Settings
from tests.conftest import Harness, Temporal
from tests.sign_in import unsigned
from tests.workflows.after_issuance import DRAFTER, until
from tests.workflows.cli_harness import legisflow
from worker import build_worker

OTHER = "so-tu-phap-tinh-b"


async def listed(client: Client, task_queue: str) -> set[str]:
    query = f"{list_query(kinds=['drafting'])} AND TaskQueue = '{task_queue}'"
    return {r.id for r in await list_cases(client, query)}


async def test_two_namespaces_side_by_side_see_only_their_own_cases(
    env: Temporal,
    harness: Harness,
    registry: Registry,
    directory: Directory,
    cli_env: dict[str, str],
    tmp_path: Path,
    executor: ThreadPoolExecutor,
) -> None:
    other_env = {**cli_env, "LEGISFLOW_NAMESPACE": OTHER}
    setup = await legisflow(other_env, "setup")
    assert setup.code == 0, setup.stderr
    assert f"namespace {OTHER} registered" in setup.stdout
    again = await legisflow(other_env, "setup")
    assert "nothing to do" in again.stdout

    config = env.client.config()
    config["namespace"] = OTHER
    other = Client(**config)
    settings = Settings(
        task_queue=f"tq-{uuid.uuid4().hex[:8]}", data_dir=tmp_path / "b", namespace=OTHER
    )
    definition = registry.get("qd_ubnd_tinh")

    def request(slug: str) -> StartRequest:
        return StartRequest(
            definition=definition, title=f"Quy định {slug}", starter=DRAFTER, slug=slug
        )

    async with build_worker(unsigned(other), settings, executor):
        # A namespace the server has just registered may take a moment to take starts.
        mine = await until(
            "the new namespace to take a case",
            lambda: _started(other, directory, request("chi-o-b"), settings.task_queue),
            timeout=60,
        )
        here = await start_case(
            harness.client, directory, request("chi-o-a"), task_queue=harness.settings.task_queue
        )
        assert (await status(other, mine)).title == "Quy định chi-o-b"
        assert (await status(harness.client, here.id)).title == "Quy định chi-o-a"
        # Neither namespace knows the other's case.
        for client, case_id in ((other, here.id), (harness.client, mine)):
            with pytest.raises(RPCError) as missing:
                await status(client, case_id)
            assert missing.value.status == RPCStatusCode.NOT_FOUND
        await until(
            "each namespace's list",
            lambda: _both_listed(other, harness, settings.task_queue, mine, here.id),
            timeout=60,
        )
        assert here.id not in await listed(other, harness.settings.task_queue)
        assert mine not in await listed(harness.client, settings.task_queue)
        # The CLI reads the namespace from its settings.
        shown = await legisflow({**other_env, "LEGISFLOW_TASK_QUEUE": settings.task_queue}, "list")
        assert shown.code == 0, shown.stderr
        assert mine in shown.stdout
        assert here.id not in shown.stdout


async def _started(client: Client, directory: Directory, req: StartRequest, queue: str) -> str:
    try:
        return (await start_case(client, directory, req, task_queue=queue)).id
    except Exception as exc:  # NamespaceNotFound until the server's cache has it
        if "not found" not in str(exc).lower():
            raise
        return ""


async def _both_listed(other: Client, harness: Harness, queue: str, mine: str, here: str) -> bool:
    return mine in await listed(other, queue) and here in await listed(
        harness.client, harness.settings.task_queue
    )
