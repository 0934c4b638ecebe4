"""Running the `legisflow` command as a user runs it, against the test session's server and
worker (the ``cli_env`` fixture in ``tests/workflows/conftest.py``)."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from identity.signing_key import load
from tests.conftest import Harness, Temporal
from tests.sign_in import session_file

#: The `legisflow` entry point installed next to the interpreter running the tests.
LEGISFLOW = str(Path(sys.executable).parent / "legisflow")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def cli_environment(env: Temporal, harness: Harness, columns: int) -> dict[str, str]:
    """The environment of a `legisflow` process talking to ``harness``'s server, task queue
    and data directory, on a terminal ``columns`` wide."""
    return {
        **os.environ,
        "LEGISFLOW_TEMPORAL_ADDRESS": env.address,
        "LEGISFLOW_TASK_QUEUE": harness.settings.task_queue,
        "LEGISFLOW_DATA_DIR": str(harness.settings.data_dir),
        # The key the test session's client signs with: a case started by either trusts it.
        "LEGISFLOW_SIGNING_KEY_FILE": str(env.key_file),
        # Nobody is signed in until a test says who (``as_person``).
        "LEGISFLOW_SESSION_FILE": str(harness.settings.data_dir / "no-session.json"),
        "COLUMNS": str(columns),
    }


def as_person(cli_env: dict[str, str], person: str) -> dict[str, str]:
    """``cli_env`` with ``person`` signed in (a session from the session's key, as
    `legisflow login` writes one)."""
    key = load(Path(cli_env["LEGISFLOW_SIGNING_KEY_FILE"]))
    folder = Path(cli_env["LEGISFLOW_DATA_DIR"])
    return {**cli_env, "LEGISFLOW_SESSION_FILE": str(session_file(key, folder, person))}


async def legisflow(cli_env: dict[str, str], *args: str) -> Run:
    # Async subprocess: the worker runs on this event loop and must keep serving.
    proc = await asyncio.create_subprocess_exec(
        LEGISFLOW,
        *args,
        env=cli_env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=180)
    assert proc.returncode is not None
    return Run(proc.returncode, out.decode(), err.decode())
