"""A worker's log says why a workflow task failed, in both formats: the failure is logged
from inside the workflow sandbox, where a pretty traceback's imports are refused and the
record used to be lost as ``--- Logging error ---``."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import Temporal
from tests.workflows.failing_workflow import CAUSE

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("log_format", ["json", "console"])
async def test_a_failed_workflow_task_is_logged_with_its_cause(
    env: Temporal, log_format: str
) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.workflows.failing_workflow",
        env.server.address,
        f"tq-{uuid.uuid4().hex[:8]}",
        f"buggy-{uuid.uuid4().hex[:8]}",
        cwd=ROOT,
        env={**os.environ, "LEGISFLOW_LOG_FORMAT": log_format},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    log = (out + err).decode()
    assert proc.returncode == 0, log
    assert "Logging error" not in log
    lines = log.splitlines()
    at = next(i for i, line in enumerate(lines) if "Failed activation on workflow Buggy" in line)
    if log_format == "json":
        record = json.loads(lines[at])
        assert record["exception"].endswith(f"RuntimeError: {CAUSE}"), record
    else:  # the record's traceback follows its line, ending with the exception itself
        assert f"RuntimeError: {CAUSE}" in lines[at + 1 : at + 40], log
