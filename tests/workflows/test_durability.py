"""Crash and restart proof, on a real dev server these tests start, stop and restart.

Not the session ``env`` fixture: the server here must be restartable on its own SQLite file,
and the worker must be a separate ``legisflow worker`` process that can be SIGKILLed.

- Workers SIGKILLed at random (seeded) points, each replaced by a new process: every case
  completes with the same path (who moved it from which stage to which) as an uninterrupted
  run, and no document version, notification or publication is lost or duplicated.
- The server stopped (SIGTERM) and restarted on the same SQLite file while cases run: all
  resume and complete, the drivers going on with a new Client.

A legal day lasts 50 ms. ``LEGISFLOW_DURABILITY_SEED`` picks other kill points; the report
(stalls, retries, events lost and retried) is logged, and the histories of cases that did
not complete are saved under the test's tmp directory (``histories/``) for ``Replayer``.
"""

from __future__ import annotations

import logging
import os
import random
from pathlib import Path

import pytest

from models.actors import Directory
from models.registry import Registry
from tests.workflows.durability import (
    Plan,
    Reference,
    cluster,
    interrupted_run,
    kill_points,
    run_references,
    spread,
    staffed_variants,
)

log = logging.getLogger("legisflow.durability")

SEED = int(os.environ.get("LEGISFLOW_DURABILITY_SEED", "8"))
CASES = 20
KILLS = 3
#: Kills fall in the first 15 % of the steps: an activity lost with a killed worker holds its
#: case until the activity's timeout (30 s; 60 s for the synthesis report, generated about a
#: quarter into a life — bench/README.md, P5), and early outages overlap the rest of the run
#: instead of extending it. bench/crash.py kills all along the run.
KILL_WITHIN = 0.15
#: Variants of the default regime the cases cycle through (one with written consultations
#: first), enough to cover child workflows, both procedures and several document types.
VARIANTS = 4


@pytest.fixture(scope="module")
def variants(registry: Registry, directory: Directory) -> list[Plan]:
    chosen = spread(staffed_variants(registry, directory), VARIANTS)
    assert chosen, "no definition can be staffed from the directory"
    return chosen


@pytest.fixture(scope="module")
async def reference(
    tmp_path_factory: pytest.TempPathFactory, directory: Directory, variants: list[Plan]
) -> Reference:
    """One uninterrupted run per variant, on a cluster of its own (stopped afterwards)."""
    async with cluster(tmp_path_factory.mktemp("reference"), directory, log=log.info) as c:
        return await run_references(c, variants)


@pytest.mark.skipif(
    os.environ.get("CI") == "true",
    reason="timing-sensitive on a loaded 2-core machine (a notice can be withdrawn before it is "
    "sent); quarantined in CI, run locally — see the closing note of 2026-11-22",
)
async def test_sigkilled_workers_lose_and_duplicate_nothing(
    tmp_path: Path, directory: Directory, variants: list[Plan], reference: Reference
) -> None:
    rng = random.Random(SEED)
    log.info("seed %s", SEED)
    async with cluster(tmp_path, directory, log=log.info) as c:

        async def kill() -> str:
            generation = c.worker.generation
            await c.restart_worker(kill=True)
            return f"SIGKILL worker #{generation}"

        report = await interrupted_run(
            c,
            reference,
            variants,
            scenario="crash",
            cases=CASES,
            at_fractions=kill_points(rng, KILLS, within=KILL_WITHIN),
            interrupt=kill,
            seed=SEED,
        )
        assert c.worker.kills == KILLS
        assert c.worker.generation == KILLS + 1
    assert len(report.interruptions) == KILLS
    assert not report.problems, "\n".join(report.problems)


async def test_server_restart_mid_flight(
    tmp_path: Path, directory: Directory, variants: list[Plan], reference: Reference
) -> None:
    async with cluster(tmp_path, directory, log=log.info) as c:
        first_client = c.client

        async def restart() -> str:
            outage = await c.restart_server()
            # The same worker process reconnects by itself.
            await c.worker.wait_polling(c.client)
            return f"server restart ({outage:.1f}s down)"

        report = await interrupted_run(
            c,
            reference,
            variants,
            scenario="restart",
            cases=len(variants) * 2,
            at_fractions=[0.4],
            interrupt=restart,
            seed=SEED,
        )
        assert c.server.starts == 2
        assert c.client is not first_client
        assert c.worker.generation == 1  # never restarted
    assert not report.problems, "\n".join(report.problems)
