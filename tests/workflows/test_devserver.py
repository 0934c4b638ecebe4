"""The embedded dev server (``legisflow dev``, ``make demo``, the tests) as the product starts
it (``localdev/devserver.py``)."""

from __future__ import annotations

import shutil
import sqlite3
import stat
from pathlib import Path

import pytest
from temporalio.api.workflowservice.v1 import ListNamespacesRequest

from localdev.devserver import DB_FILE, LOG_FILE, DevServer, DevServerError


async def test_embedded_server_keeps_its_data_in_a_write_ahead_log(tmp_path: Path) -> None:
    """The tuning flags are accepted (the server serves) and the SQLite file it leaves is in
    WAL mode: with the default rollback journal the server is twice as slow (P7)."""
    server = DevServer(tmp_path)
    async with server:
        client = await server.connect()
        namespaces = await client.workflow_service.list_namespaces(ListNamespacesRequest())
        assert "default" in [n.namespace_info.name for n in namespaces.namespaces]
    assert server.proc is not None
    assert server.proc.returncode is not None
    with sqlite3.connect(tmp_path / DB_FILE) as db:
        (mode,) = db.execute("PRAGMA journal_mode").fetchone()
    assert mode == "wal"


async def test_a_stopped_servers_database_file_alone_holds_everything(tmp_path: Path) -> None:
    """The server leaves its last commits in ``temporal.sqlite-wal`` when it stops; legisflow
    folds them into ``temporal.sqlite``, so copying that one file is a whole backup."""
    data = tmp_path / "data"
    server = DevServer(data)
    async with server:
        client = await server.connect()
        for i in range(20):  # no worker: they stay open, rows in the executions table
            await client.start_workflow("Nothing", id=f"backup-{i}", task_queue="nobody")
    assert not (data / "temporal.sqlite-wal").exists()
    copy = tmp_path / "copy.sqlite"
    shutil.copyfile(data / DB_FILE, copy)
    with sqlite3.connect(copy) as db:
        (n,) = db.execute(
            "SELECT count(*) FROM executions WHERE workflow_id LIKE 'backup-%'"
        ).fetchone()
    assert n == 20


async def test_the_servers_data_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    """Cases, comments and audit trails: the probe found the SQLite file world-readable. A
    database left readable by an earlier version is closed again at the next start."""
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    server = DevServer(data)
    async with server:
        client = await server.connect()
        await client.start_workflow("Nothing", id="private", task_queue="nobody")
        files = [p for p in data.iterdir() if p.is_file()]
        assert data / DB_FILE in files
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    (data / DB_FILE).chmod(0o644)
    async with DevServer(data):
        assert stat.S_IMODE((data / DB_FILE).stat().st_mode) == 0o600


async def test_a_server_that_cannot_start_says_why(tmp_path: Path) -> None:
    """A database path that is a directory: the server exits at once, and the error carries
    the end of its log rather than only an exit code."""
    (tmp_path / DB_FILE).mkdir()
    server = DevServer(tmp_path)
    with pytest.raises(DevServerError) as refused:
        async with server:
            pass
    message = str(refused.value)
    assert message.startswith("temporal server exited with code ")
    log = tmp_path / LOG_FILE
    last = [line for line in log.read_text(encoding="utf-8").splitlines() if line.strip()][-1]
    assert str(log) in message
    assert last in message, message


async def test_two_servers_run_side_by_side_in_memory() -> None:
    """Without a data directory the server keeps nothing on disk, and each server takes its
    own free ports (tests and benchmarks run several at once)."""
    async with DevServer(None) as one, DevServer(None) as two:
        assert one.address != two.address
        for server in (one, two):
            client = await server.connect()
            await client.workflow_service.list_namespaces(ListNamespacesRequest())
        assert one.db is None
