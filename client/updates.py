"""The one way the client API sends a decision to a workflow (an Update), and the one mapping
of what can go wrong to what a person is told.

- The workflow's validator refused it: ``CaseActionRefused`` with the validator's code and
  message (nothing was written to the case's history).
- The workflow has ended: ``CaseActionRefused`` with code ``case_closed`` and what closed it.
- There is no such workflow: ``CaseError`` saying so.
- Temporal's limit of Updates in flight per workflow (many people at once), a monitoring that
  is still starting, or, for an Update that is safe to repeat, an unknown outcome: it waits
  and sends again, for up to ``RETRY_SECONDS``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

from temporalio.client import (
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from client.errors import CaseActionRefused, CaseError

#: How long a decision waits for a busy or starting workflow before giving up.
RETRY_SECONDS = 60.0
#: The refusal code of a workflow that has not finished starting (the monitoring reads its
#: rules and people first): the Update is sent again.
STARTING = "starting"
#: The code of any Update sent to a workflow that has ended.
CASE_CLOSED = "case_closed"


def refusal_of(err: WorkflowUpdateFailedError) -> CaseActionRefused | None:
    """The validator's refusal carried by ``err``, if it is one."""
    cause = err.cause
    if isinstance(cause, ApplicationError):
        code = str(cause.details[0]) if cause.details else cause.type or "refused"
        return CaseActionRefused(cause.message, code)
    return None


async def send_update(
    handle: WorkflowHandle[Any, Any],
    update: Any,
    arg: Any,
    *,
    update_id: str | None = None,
    idempotent: bool = False,
    closed: Callable[[], Awaitable[str]] | None = None,
    missing: str | Callable[[], Awaitable[CaseError]] | None = None,
) -> Any:
    """Send ``update`` with ``arg`` to ``handle``'s workflow and return its result.

    ``closed`` says, when the workflow has ended, what closed it (the refusal's message);
    ``missing`` is the message, or makes the error, when there is no such workflow. An
    ``idempotent`` Update (the same decision twice is the same decision, or it carries an
    ``update_id`` the workflow remembers) is also sent again when the server aborted it or
    its outcome is unknown.
    """
    loop = asyncio.get_running_loop()
    give_up = loop.time() + RETRY_SECONDS
    delay = 0.05
    while True:
        try:
            return await handle.execute_update(update, arg, id=update_id)
        except WorkflowUpdateRPCTimeoutOrCancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                # The caller was cancelled (Ctrl-C, SIGTERM): stop, do not send again.
                raise asyncio.CancelledError from None
            if not idempotent or loop.time() > give_up:
                raise
        except WorkflowUpdateFailedError as err:
            refused = refusal_of(err)
            if refused is None:
                raise
            if refused.code != STARTING or loop.time() > give_up:
                raise refused from None
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                if "already completed" in err.message:
                    why = await closed() if closed is not None else _ENDED
                    raise CaseActionRefused(why, CASE_CLOSED) from None
                if callable(missing):
                    raise await missing() from None
                raise CaseError(missing or f"no workflow {handle.id!r}") from None
            retry = err.status == RPCStatusCode.RESOURCE_EXHAUSTED or (
                idempotent and err.status == RPCStatusCode.UNAVAILABLE
            )
            if not retry or loop.time() > give_up:
                raise
        await asyncio.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 1.0)


_ENDED = "đã kết thúc / it has ended; nothing was changed"
