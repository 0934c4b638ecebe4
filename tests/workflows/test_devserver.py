"""The embedded dev server (``legisflow dev``, ``make demo``) as the product starts it."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from temporalio.api.workflowservice.v1 import ListNamespacesRequest
from temporalio.client import Client

from localdev import devserver
from tests.workflows.durability import free_port


async def test_embedded_server_keeps_its_data_in_a_write_ahead_log(tmp_path: Path) -> None:
    """The tuning flags are accepted (the server serves) and the SQLite file it leaves is in
    WAL mode: with the default rollback journal the server is twice as slow (P7)."""
    address = f"127.0.0.1:{free_port()}"
    proc = devserver.start_dev_server(tmp_path, address, free_port())
    try:
        await devserver.wait_until_serving(address, proc, log=tmp_path / devserver.LOG_FILE)
        client = await Client.connect(address)
        namespaces = await client.workflow_service.list_namespaces(ListNamespacesRequest())
        assert "default" in [n.namespace_info.name for n in namespaces.namespaces]
    finally:
        devserver.stop(proc)
    assert proc.returncode is not None
    with sqlite3.connect(tmp_path / "temporal.sqlite") as db:
        (mode,) = db.execute("PRAGMA journal_mode").fetchone()
    assert mode == "wal"


async def test_a_stopped_servers_database_file_alone_holds_everything(tmp_path: Path) -> None:
    """The server leaves its last commits in ``temporal.sqlite-wal`` when it stops; legisflow
    folds them into ``temporal.sqlite``, so copying that one file is a whole backup."""
    data = tmp_path / "data"
    address = f"127.0.0.1:{free_port()}"
    proc = devserver.start_dev_server(data, address, free_port())
    try:
        await devserver.wait_until_serving(address, proc, log=data / devserver.LOG_FILE)
        client = await Client.connect(address)
        for i in range(20):  # no worker: they stay open, rows in the executions table
            await client.start_workflow("Nothing", id=f"backup-{i}", task_queue="nobody")
    finally:
        devserver.stop(proc, data)
    assert not (data / "temporal.sqlite-wal").exists()
    copy = tmp_path / "copy.sqlite"
    shutil.copyfile(data / devserver.DB_FILE, copy)
    with sqlite3.connect(copy) as db:
        (n,) = db.execute(
            "SELECT count(*) FROM executions WHERE workflow_id LIKE 'backup-%'"
        ).fetchone()
    assert n == 20


async def test_a_server_that_cannot_start_says_why(tmp_path: Path) -> None:
    """A database path that is a directory: the server exits at once, and the error carries
    the end of its log rather than only an exit code."""
    (tmp_path / devserver.DB_FILE).mkdir()
    address = f"127.0.0.1:{free_port()}"
    proc = devserver.start_dev_server(tmp_path, address, free_port())
    log = tmp_path / devserver.LOG_FILE
    try:
        with pytest.raises(devserver.DevServerError) as refused:
            await devserver.wait_until_serving(address, proc, log=log)
    finally:
        devserver.stop(proc)
    message = str(refused.value)
    assert message.startswith("temporal server exited with code ")
    last = [line for line in log.read_text(encoding="utf-8").splitlines() if line.strip()][-1]
    assert str(log) in message
    assert last in message, message
