"""``legisflow portal`` as its own process, for the tests and benchmarks: started, killed,
started again on the same port, with the environment its caller gives it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from localdev.processes import terminate, until

#: This checkout, first on the portal's import path (an editable install made before a
#: package was added does not map it).
CHECKOUT = Path(__file__).resolve().parents[1]


def portal_env(
    temporal: str, data_dir: Path, database_url: str, port: int, **more: str
) -> dict[str, str]:
    """The variables a portal process on 127.0.0.1:``port`` needs, and ``more``."""
    return {
        "LEGISFLOW_TEMPORAL_ADDRESS": temporal,
        "LEGISFLOW_DATA_DIR": str(data_dir),
        "LEGISFLOW_DATABASE_URL": database_url,
        "LEGISFLOW_PORTAL_HOST": "127.0.0.1",
        "LEGISFLOW_PORTAL_PORT": str(port),
        "LEGISFLOW_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(CHECKOUT), os.environ.get("PYTHONPATH")])),
        **more,
    }


@dataclass
class PortalProcess:
    """``legisflow portal`` in its own process group, started again on the same port."""

    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(Path(sys.executable).parent / "legisflow"), "portal"],
                env=os.environ | self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        assert self.proc is not None, "the portal was not started"
        return self.proc.pid

    async def serving(self, url: str) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:

            async def answers() -> bool:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    log = self.log.read_text(errors="replace")
                    raise RuntimeError(f"the portal exited with {self.proc.returncode}:\n{log}")
                try:
                    return (await http.get("/healthz")).status_code == 200
                except httpx.TransportError:
                    return False

            await until("the portal answering", answers, timeout=120, poll=0.05)

    def kill(self) -> None:
        """SIGKILL the portal and whatever it started: no shutdown, requests cut mid-way."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None:
            terminate(self.proc, 30)
