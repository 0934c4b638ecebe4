"""A workflow with a bug, run by ``test_logging.py`` in a worker process of its own: its
workflow task fails inside the sandbox, and the worker must log why."""

from __future__ import annotations

import asyncio
import os
import sys

from temporalio import workflow

#: What the failure says; the log must carry it.
CAUSE = "a bug in a workflow: division of the consultation period by zero"


@workflow.defn
class Buggy:
    @workflow.run
    async def run(self) -> None:
        raise RuntimeError(CAUSE)


async def _serve(address: str, task_queue: str, workflow_id: str) -> None:
    from temporalio.client import Client
    from temporalio.worker import Worker

    from logging_config import configure_logging
    from settings import Settings

    configure_logging(Settings())  # the format comes from LEGISFLOW_LOG_FORMAT
    client = await Client.connect(address)
    async with Worker(client, task_queue=task_queue, workflows=[Buggy]):
        handle = await client.start_workflow(Buggy.run, id=workflow_id, task_queue=task_queue)
        # Until the server has recorded the task's failure (the worker has logged it).
        for _ in range(600):
            history = await handle.fetch_history()
            if any(e.workflow_task_failed_event_attributes.failure.message for e in history.events):
                return
            await asyncio.sleep(0.05)
        raise TimeoutError("the workflow task never failed")


if __name__ == "__main__":
    asyncio.run(_serve(*sys.argv[1:4]))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # sdk-python#300: the SDK may abort at interpreter exit
