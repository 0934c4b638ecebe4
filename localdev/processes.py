"""Workers as separate processes (``legisflow worker``, or a benchmark's baseline worker) that
can be SIGKILLed, replaced, and asked how much memory and CPU they used; and the one bounded
wait on a condition that the crash proofs and benchmarks use.

Every wait here is on a condition (a poller seen, a port answering), with a bound; nothing
sleeps hoping something will have happened.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import IO

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client


def terminate(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    """SIGTERM ``proc`` and wait for it to exit; SIGKILL it if it has not within ``timeout``
    seconds. Whether it stopped by itself (True) or had to be killed."""
    if proc.poll() is not None:
        return True
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return False
    return True


async def until(
    what: str, check: Callable[[], Awaitable[bool]], *, timeout: float, poll: float = 0.05
) -> None:
    """Wait until ``check()`` holds, at most ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f}s")
        await asyncio.sleep(poll)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class WorkerProcess:
    """``legisflow worker`` in its own process, configured by environment variables; it can
    be killed, replaced, and asked how much memory and CPU it used."""

    def __init__(
        self,
        address: str,
        task_queue: str,
        data_dir: Path,
        command: Sequence[str] | None = None,
    ) -> None:
        self.address = address
        self.task_queue = task_queue
        self.data_dir = data_dir
        #: Default: ``legisflow worker``; the benchmarks run their baseline worker this way.
        self.command = list(command or [str(Path(sys.executable).parent / "legisflow"), "worker"])
        self.log_path = data_dir / "worker.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.generation = 0
        self.kills = 0

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None, "a worker is running"
        env = {
            **os.environ,
            "LEGISFLOW_TEMPORAL_ADDRESS": self.address,
            "LEGISFLOW_TASK_QUEUE": self.task_queue,
            "LEGISFLOW_DATA_DIR": str(self.data_dir),
            "LEGISFLOW_LOG_FORMAT": "json",
            "LEGISFLOW_LOG_LEVEL": "WARNING",
        }
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.generation += 1
        log: IO[bytes]
        with self.log_path.open("ab") as log:
            log.write(f"--- worker generation {self.generation}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                self.command,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def wait_polling(self, client: Client, timeout: float = 30.0) -> None:
        """Until this process polls the task queue (its identity is ``<pid>@<host>``)."""
        me = f"{self.pid}@"

        async def polling() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(
                    f"worker exited with {self.proc.returncode}; see {self.log_path}"
                )
            resp = await client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace=client.namespace,
                    task_queue=TaskQueue(name=self.task_queue),
                    task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
                )
            )
            return any(p.identity.startswith(me) for p in resp.pollers)

        await until(f"worker {self.pid} polling", polling, timeout=timeout, poll=0.1)

    def rss_bytes(self) -> int:
        """Resident memory of the process now (VmRSS)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"no VmRSS for {self.pid}")

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.pid)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no goodbye to the server, work in flight abandoned."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.kills += 1

    def stop(self, timeout: float = 30.0) -> None:
        if self.proc is not None:
            terminate(self.proc, timeout)
